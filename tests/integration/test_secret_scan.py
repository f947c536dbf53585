"""The logs of a full run never hold a password, a token or a hash.

A real `serve` process logs at DEBUG while a mix of calls (good and bad) goes
through it; afterwards its whole stderr is searched for every secret the run used and
every hash the database holds.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import grpc
import pytest
from authtuna_api.user.v1 import session_service_pb2 as sessions_pb
from authtuna_api.user.v1 import session_service_pb2_grpc, user_service_pb2_grpc
from authtuna_api.user.v1 import user_service_pb2 as pb
from sqlalchemy import select

from authtuna_grpc.services.api_tokens import token_digest
from authtuna_grpc.storage import tables
from authtuna_grpc.storage.database import create_engine
from authtuna_grpc.storage.unit_of_work import UnitOfWorkFactory
from tests.callers import ADMIN_TOKEN, bearer, token_for_new_user
from tests.processes import ServeProcess

PASSWORDS = {
    "alice": "Alice-Secret-Pass-1",
    "bob": "Bob-Secret-Pass-2",
    "alice-new": "Alice-Changed-Pass-3",
    "weak": "weakpw",
    "wrong": "Not-Alices-Password-4",
}
BOGUS_SESSION = "ses_bogus-session-token-which-must-never-be-logged"
WRONG_TOKEN = "atk_wrong-token-which-must-never-be-logged-0001"
BASIC = base64.b64encode(b"alice:" + PASSWORDS["alice"].encode()).decode()


async def _sign_ins(channel: grpc.aio.Channel) -> str:
    """Sign in right and wrong, validate good and bogus sessions; return the session token."""
    admin = bearer(ADMIN_TOKEN)
    sessions = session_service_pb2_grpc.SessionServiceStub(channel)
    signed_in = await sessions.SignIn(
        sessions_pb.SignInRequest(identity="alice", password=PASSWORDS["alice-new"]), metadata=admin)
    token = signed_in.session.token
    await sessions.ValidateSession(sessions_pb.ValidateSessionRequest(session_token=token), metadata=admin)
    for call in (
        sessions.SignIn(sessions_pb.SignInRequest(identity="alice", password=PASSWORDS["wrong"]), metadata=admin),
        sessions.ValidateSession(sessions_pb.ValidateSessionRequest(session_token=BOGUS_SESSION), metadata=admin),
    ):
        with pytest.raises(grpc.aio.AioRpcError):
            await call
    return token


async def _calls(address: str, member_token: str, database_url: str) -> tuple[set[str], str]:
    """Run the calls; return the hashes stored along the way (later calls replace some)
    and the session token a sign-in produced."""
    admin = bearer(ADMIN_TOKEN)
    async with grpc.aio.insecure_channel(address) as channel:
        users = user_service_pb2_grpc.UserServiceStub(channel)
        alice = (await users.CreateUser(pb.CreateUserRequest(
            email="alice@example.com", username="alice", password=PASSWORDS["alice"]), metadata=admin)).user
        bob = (await users.CreateUser(pb.CreateUserRequest(
            email="bob@example.com", username="bob", password=PASSWORDS["bob"]), metadata=admin)).user
        stored = await _stored_secrets(database_url)
        failing = [
            users.CreateUser(pb.CreateUserRequest(
                email="weak@example.com", username="weak", password=PASSWORDS["weak"]), metadata=admin),
            users.GetUser(pb.GetUserRequest(username="alice"), metadata=bearer(WRONG_TOKEN)),
            users.GetUser(pb.GetUserRequest(username="alice"), metadata=(("authorization", f"Basic {BASIC}"),)),
            users.DeleteUser(pb.DeleteUserRequest(id=alice.id, reason="no"), metadata=bearer(member_token)),
            users.SetPassword(pb.SetPasswordRequest(id=bob.id, password=PASSWORDS["weak"]), metadata=admin),
            users.ListUsers(pb.ListUsersRequest(limit=10), metadata=bearer(member_token)),
        ]
        for call in failing:
            with pytest.raises(grpc.aio.AioRpcError):
                await call
        await users.GetUser(pb.GetUserRequest(username="alice"), metadata=(*admin, ("x-request-id", "scan-1")))
        await users.ListUsers(pb.ListUsersRequest(limit=10), metadata=admin)
        alice = (await users.SetPassword(
            pb.SetPasswordRequest(id=alice.id, password=PASSWORDS["alice-new"]), metadata=admin)).user
        await users.UpdateUser(pb.UpdateUserRequest(
            id=alice.id, user={"attributes": {"team": "core"}},
            update_mask={"paths": ["attributes"]}, etag=alice.etag), metadata=admin)
        session_token = await _sign_ins(channel)
        stored |= await _stored_secrets(database_url)
        await users.SuspendUser(pb.SuspendUserRequest(id=bob.id, reason="scan"), metadata=admin)
        await users.DeleteUser(pb.DeleteUserRequest(id=bob.id, reason="scan"), metadata=admin)
    return stored, session_token


async def _stored_secrets(database_url: str) -> set[str]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            found: set[str] = set()
            for table in (tables.user, tables.deleted_user, tables.api_token, tables.session):
                for column in table.columns:
                    if "hash" in column.name:
                        values = (await connection.execute(select(column))).scalars().all()
                        found.update(v for v in values if v)
    finally:
        await engine.dispose()
    # Also the salt and digest of each argon2 hash alone, in case a hash were logged in part.
    return found | {value.rsplit("$", 1)[-1] for value in found if value.startswith("$argon2")}


async def test_a_full_run_logs_no_password_token_or_hash(tmp_path: Path, database_url: str) -> None:
    serve = ServeProcess(
        tmp_path,
        {"database_url": database_url, "bootstrap_token": ADMIN_TOKEN, "log_level": "DEBUG"},
    )
    try:
        serve.wait_serving()
        member_token = await token_for_new_user(
            UnitOfWorkFactory(create_engine(database_url)), "scanner", "Member"
        )
        stored, session_token = await _calls(serve.address, member_token, database_url)
        assert serve.stop() == 0
        log = serve.log()
    finally:
        serve.close()

    stored |= await _stored_secrets(database_url)
    assert sum(value.startswith("$argon2id$") for value in stored) == 3  # alice twice, bob
    secrets = {
        *PASSWORDS.values(), BASIC, ADMIN_TOKEN, WRONG_TOKEN, member_token, session_token,
        BOGUS_SESSION, token_digest(ADMIN_TOKEN), token_digest(member_token),
        token_digest(session_token), *stored,
    }
    leaked = sorted(secret for secret in secrets if secret in log)
    assert not leaked, f"secrets in the server log: {leaked}"

    access = [json.loads(line) for line in log.splitlines() if '"authtuna_grpc.access"' in line]
    codes = {(entry["method"].rsplit("/", 1)[1], entry["code"]) for entry in access}
    assert {
        ("CreateUser", "OK"), ("CreateUser", "INVALID_ARGUMENT"), ("GetUser", "UNAUTHENTICATED"),
        ("DeleteUser", "PERMISSION_DENIED"), ("SetPassword", "OK"), ("UpdateUser", "OK"),
        ("SuspendUser", "OK"), ("DeleteUser", "OK"), ("ListUsers", "OK"),
        ("SignIn", "OK"), ("SignIn", "UNAUTHENTICATED"), ("ValidateSession", "OK"),
    } <= codes
    assert len(access) == 18
