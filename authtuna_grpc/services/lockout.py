"""Sign-in lockout: which counters an attempt touches, whether one is locked, counting."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from authtuna_grpc.domain.audit import AuditEvent, EventType
from authtuna_grpc.domain.caller import Caller
from authtuna_grpc.domain.errors import DomainError, SignInLocked, SignInRateLimited
from authtuna_grpc.domain.sign_in import (
    FailureCount,
    LockoutPolicy,
    ThrottleKey,
    ThrottleScope,
    retry_delay,
)
from authtuna_grpc.storage.unit_of_work import UnitOfWork

# How often a process sweeps counters that no longer matter (unknown identities and
# addresses leave rows behind). A schedule only: the counters themselves are shared.
PRUNE_INTERVAL = timedelta(minutes=1)


class SignInLockout:
    def __init__(self, policy: LockoutPolicy) -> None:
        self._policy = policy
        self._next_prune: datetime | None = None

    def keys(self, user_id: uuid.UUID | None, identity: str, ip_address: str | None) -> list[ThrottleKey]:
        """The account's counter (or the unknown identity's) first, then the address's."""
        subject = ThrottleKey.account(user_id) if user_id else ThrottleKey.identity(identity)
        keys = [subject]
        if ip_address and self._policy.per_ip is not None:
            keys.append(ThrottleKey.ip(ip_address))
        return keys

    async def lock_in_force(
        self, uow: UnitOfWork, keys: list[ThrottleKey], now: datetime
    ) -> DomainError | None:
        """The error refusing this attempt, if one of its counters is locked."""
        locks = await uow.sign_in_throttle.locks(keys, now)
        for key in keys:
            if key in locks:
                return locked_error(key, retry_delay(locks[key], now))
        return None

    async def count_failure(
        self, uow: UnitOfWork, keys: list[ThrottleKey], now: datetime
    ) -> list[FailureCount]:
        counts = []
        for key in keys:  # always in this order, so concurrent counts never deadlock
            limit = self._policy.limit_for(key)
            if limit is not None:
                counts.append(await uow.sign_in_throttle.count_failure(key, limit, now))
        if self._next_prune is None or now >= self._next_prune:
            self._next_prune = now + PRUNE_INTERVAL
            await uow.sign_in_throttle.prune(now)
        return counts


def locked_error(key: ThrottleKey, delay: timedelta) -> DomainError:
    """One message per kind of lock, the same whether or not the account exists."""
    if key.scope is ThrottleScope.IP:
        return SignInRateLimited(
            "too many failed sign-ins from this address; try again later", retry_delay=delay
        )
    return SignInLocked("too many failed sign-ins; try again later", retry_delay=delay)


def lock_events(
    caller: Caller, user_id: uuid.UUID | None, counts: list[FailureCount], now: datetime
) -> list[AuditEvent]:
    """ACCOUNT_LOCKED / IP_ADDRESS_LOCKED for each counter this failure locked."""
    events = []
    for count in counts:
        if not count.locked_now:
            continue
        is_ip = count.key.scope is ThrottleScope.IP
        details = {
            "scope": count.key.scope.value,
            "failures": str(count.failures),
            "locked_until": count.locked_until.isoformat() if count.locked_until else "",
        }
        event_type = EventType.IP_ADDRESS_LOCKED if is_ip else EventType.ACCOUNT_LOCKED
        events.append(AuditEvent.by(caller, event_type, None if is_ip else user_id, now, details))
    return events
