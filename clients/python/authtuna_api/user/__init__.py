"""The authtuna_api.user package."""
