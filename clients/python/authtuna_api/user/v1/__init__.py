"""Generated messages and stubs for authtuna_api.user.v1."""
