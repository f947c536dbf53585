"""How long audit events and archived (deleted) users are kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

DEFAULT_BATCH_SIZE = 1000


@dataclass(frozen=True)
class RetentionPolicy:
    """`None` keeps forever. Purges remove rows in batches of `batch_size`, each in its
    own short transaction."""

    audit_events: timedelta | None = None
    deleted_users: timedelta | None = None
    batch_size: int = DEFAULT_BATCH_SIZE

    @classmethod
    def of_days(cls, audit_days: int, deleted_user_days: int, batch_size: int) -> RetentionPolicy:
        return cls(
            audit_events=timedelta(days=audit_days) if audit_days else None,
            deleted_users=timedelta(days=deleted_user_days) if deleted_user_days else None,
            batch_size=batch_size,
        )

    def audit_cutoff(self, now: datetime) -> datetime | None:
        """Events that occurred before this are past retention."""
        return now - self.audit_events if self.audit_events is not None else None

    def deleted_user_cutoff(self, now: datetime) -> datetime | None:
        """Users deleted before this are past retention."""
        return now - self.deleted_users if self.deleted_users is not None else None
