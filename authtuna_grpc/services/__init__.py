"""Use cases: each mutation is one unit of work that also writes its audit event."""
