"""SQLAlchemy Core storage: tables, repositories (which never commit), unit of work."""
