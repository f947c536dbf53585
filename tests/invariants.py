"""What must hold in the database whatever happened to the calls: nothing half done.

Every user has its USER_CREATED event; a deleted user is gone completely (no user row
beside its archive row, nothing of it left in sessions, tokens, role assignments) and
has its USER_DELETED event; nothing belongs to a user that does not exist.
"""

from __future__ import annotations

from sqlalchemy import and_, exists, func, select

from authtuna_grpc.storage import tables
from authtuna_grpc.storage.unit_of_work import UnitOfWorkFactory

_user, _event, _archive = tables.user, tables.audit_event, tables.deleted_user


def _has_event(user_id, event_type: str):  # type: ignore[no-untyped-def]
    return exists().where(and_(_event.c.user_id == user_id, _event.c.event_type == event_type))


async def lifecycle_violations(units: UnitOfWorkFactory) -> dict[str, list[str]]:
    """Each broken rule, with the ids that break it; empty when everything holds."""
    user_ids = select(_user.c.id)
    checks = {
        "user without USER_CREATED": select(_user.c.id).where(~_has_event(_user.c.id, "USER_CREATED")),
        "user row beside its archive": select(_archive.c.id).where(_archive.c.id.in_(user_ids)),
        "archive without USER_DELETED": select(_archive.c.id).where(
            ~_has_event(_archive.c.id, "USER_DELETED")
        ),
        "session of no user": select(tables.session.c.id).where(tables.session.c.user_id.not_in(user_ids)),
        "API token of no user": select(tables.api_token.c.id).where(
            tables.api_token.c.user_id.not_in(user_ids)
        ),
        "role assignment of no user": select(tables.role_assignment.c.id).where(
            tables.role_assignment.c.user_id.not_in(user_ids)
        ),
    }
    found: dict[str, list[str]] = {}
    async with units() as uow:
        connection = uow.users._connection
        for rule, query in checks.items():
            ids = [str(row[0]) for row in (await connection.execute(query)).all()]
            if ids:
                found[rule] = ids
    return found


async def counts(units: UnitOfWorkFactory) -> dict[str, int]:
    """Rows per table of the user lifecycle, for the report of a run."""
    result = {}
    async with units() as uow:
        connection = uow.users._connection
        for table in (_user, _archive, _event, tables.session, tables.api_token):
            query = select(func.count()).select_from(table)
            result[table.name] = int((await connection.execute(query)).scalar_one())
    return result
