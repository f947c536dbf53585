"""Pure rules of the user lifecycle: no gRPC, database or crypto imports."""
