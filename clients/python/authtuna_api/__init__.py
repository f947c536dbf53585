"""The authtuna_api package."""
