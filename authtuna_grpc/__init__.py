"""authtuna-grpc: the AuthTuna user lifecycle served over gRPC."""

__version__ = "0.1.0"
