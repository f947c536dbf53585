"""The gRPC edge: servicers translate, interceptors establish the caller and map errors."""
