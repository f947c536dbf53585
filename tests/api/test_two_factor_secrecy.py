"""After enrolment, the TOTP secret and the recovery codes are never seen again: not in any
response, not in the server's log (SQL statements and parameters included), not in clear
in any table."""

from __future__ import annotations

import logging
from typing import Any

import grpc
from authtuna_api.user.v1 import session_service_pb2 as spb
from google.protobuf import message
from sqlalchemy import select

from authtuna_grpc.storage import tables
from tests.callers import Callers
from tests.sign_ins import MovableClock, create_user, serving, sign_in, validate
from tests.two_factor import code_at, complete, enrol


def _forms(secret: str, codes: list[str]) -> list[str]:
    """Every spelling under which a leak would be recognisable."""
    forms = [secret, secret.lower()]
    for code in codes:
        forms += [code, code.replace("-", ""), code.upper(), code.replace("-", "").upper()]
    return forms


class Seen:
    """Everything the server said after enrolment: responses and error statuses."""

    def __init__(self) -> None:
        self.blobs: list[bytes] = []

    def response(self, reply: message.Message) -> Any:
        self.blobs.append(reply.SerializeToString())
        self.blobs.append(str(reply).encode())
        return reply

    async def error(self, call: Any) -> None:
        try:
            await call
        except grpc.aio.AioRpcError as error:
            self.blobs.append((error.details() or "").encode())
            for _, value in error.trailing_metadata() or ():
                self.blobs.append(value if isinstance(value, bytes) else value.encode())
            return
        raise AssertionError("the call should have failed")


async def _all_rows(units) -> str:
    dumped = []
    async with units() as uow:
        for table in tables.metadata.sorted_tables:
            result = await uow.users._connection.execute(select(table))
            dumped += [repr(dict(row._mapping)) for row in result]
    return "\n".join(dumped)


async def test_secret_and_codes_never_appear_after_enrolment(settings, callers: Callers, caplog) -> None:
    caplog.set_level(logging.DEBUG)  # every logger …
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")  # … and SQL statements with their parameters
    clock = MovableClock()
    seen = Seen()
    admin = callers.admin
    async with serving(settings, clock) as served:
        sessions = served.sessions
        user = await create_user(served.users, admin, "secretive")
        enrolled = await enrol(sessions, admin, user.id, clock.now)
        regenerated = await sessions.RegenerateRecoveryCodes(
            spb.RegenerateRecoveryCodesRequest(user_id=user.id), metadata=admin
        )
        codes = [*enrolled.recovery_codes, *regenerated.recovery_codes]
        clock.advance(seconds=30)

        challenge = seen.response(await sign_in(sessions, admin, "secretive")).challenge
        await seen.error(complete(sessions, admin, challenge.token, "000000"))
        await seen.error(complete(sessions, admin, challenge.token, enrolled.recovery_codes[0]))
        totp = code_at(enrolled.secret, clock.now)
        done = seen.response(await complete(sessions, admin, challenge.token, totp))
        seen.response(await validate(sessions, admin, done.session.token))
        challenge = seen.response(await sign_in(sessions, admin, "secretive")).challenge
        await seen.error(complete(sessions, admin, challenge.token, totp))  # replayed
        seen.response(await complete(sessions, admin, challenge.token, regenerated.recovery_codes[0]))
        seen.response(
            await sessions.GetSecondFactor(spb.GetSecondFactorRequest(user_id=user.id), metadata=admin)
        )
        await seen.error(
            sessions.BeginTotpEnrollment(spb.BeginTotpEnrollmentRequest(user_id=user.id), metadata=admin)
        )
        stored = await _all_rows(served.units)

    logged = caplog.text
    assert "totp_factor" in logged and "recovery_code" in logged, "the log did not capture SQL"
    for form in _forms(enrolled.secret, codes):
        assert all(form.encode() not in blob for blob in seen.blobs), f"a response holds {form!r}"
        assert form not in logged, f"the log holds {form!r}"
        assert form not in stored, f"a table holds {form!r} in clear"
