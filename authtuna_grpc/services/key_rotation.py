"""Re-encrypting stored TOTP secrets under the current key, so old keys can be retired."""

from __future__ import annotations

import uuid

from authtuna_grpc.domain.audit import AuditEvent, EventType
from authtuna_grpc.domain.caller import system_caller
from authtuna_grpc.domain.two_factor import secret_context
from authtuna_grpc.services.clock import Clock
from authtuna_grpc.services.secret_box import SecretBox
from authtuna_grpc.storage.unit_of_work import UnitOfWorkFactory

BATCH_SIZE = 200


async def reseal_secrets(units: UnitOfWorkFactory, box: SecretBox, clock: Clock) -> int:
    """Re-encrypt every secret not under the current key, a batch per transaction, each
    audited (MFA_SECRETS_RESEALED); the number re-encrypted. A secret changed meanwhile
    is left to its writer, who used a key of the ring. Raises MfaNotConfigured, with
    nothing of that batch written, if a secret's key is not in the ring."""
    total = 0
    after: uuid.UUID | None = None
    while True:
        async with units() as uow:
            batch = await uow.second_factors.sealed_with_other_keys(
                box.current_key_id, after=after, limit=BATCH_SIZE
            )
            if not batch:
                return total
            resealed = 0
            for user_id, old in batch:
                context = secret_context(user_id)
                new = box.seal(box.open(old, context), context)
                resealed += await uow.second_factors.reseal(user_id, old, new)
            details = {"key_id": box.current_key_id, "resealed": str(resealed)}
            await uow.audit_events.append(
                AuditEvent.by(system_caller(), EventType.MFA_SECRETS_RESEALED, None, clock(), details)
            )
            await uow.commit()
        total += resealed
        after = batch[-1][0]
