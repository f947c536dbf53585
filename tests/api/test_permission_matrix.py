"""Every RPC, called by every kind of caller, against a real server: exact status codes.

The expectations below are written by hand from the documented role definitions
(docs/authorization.md), not derived from api/permissions.py, so a wrong entry in the
permission table fails here. A served RPC without a row fails
`test_every_served_rpc_has_a_row`.

To add an RPC: write a request factory (it may create what the call needs through
`Scene`, e.g. a fresh user to delete, so that every permitted caller's call succeeds)
and append a `Row` with the code each caller must get, in the order of `CALLERS`.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import argon2
import grpc
import pyotp
import pytest
from authtuna_api.user.v1 import api_token_service_pb2 as tokens_pb
from authtuna_api.user.v1 import compliance_pb2
from authtuna_api.user.v1 import compliance_service_pb2 as compliance_pb
from authtuna_api.user.v1 import role_service_pb2 as roles_pb
from authtuna_api.user.v1 import session_service_pb2 as sessions_pb
from authtuna_api.user.v1 import user_pb2
from authtuna_api.user.v1 import user_service_pb2 as users_pb
from google.protobuf import descriptor_pool, field_mask_pb2, message, message_factory
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from authtuna_grpc.domain.caller import system_caller
from authtuna_grpc.domain.consents import Consent
from authtuna_grpc.domain.roles import NewRole
from authtuna_grpc.domain.two_factor import (
    new_challenge_token,
    new_recovery_code,
    recovery_code_hash,
    secret_context,
    time_step,
)
from authtuna_grpc.domain.user import new_user
from authtuna_grpc.services.api_tokens import generate_secret, issue_token, token_digest
from authtuna_grpc.services.clock import new_id, utc_now
from authtuna_grpc.services.deletions import DeletionManager
from authtuna_grpc.services.secret_box import SecretBox
from authtuna_grpc.services.sessions import generate_session_token
from authtuna_grpc.services.suspensions import SuspensionManager
from authtuna_grpc.services.totp import new_secret
from authtuna_grpc.storage.unit_of_work import UnitOfWorkFactory
from tests.callers import ADMIN_TOKEN, Metadata, bearer, token_for_new_user
from tests.rich_status import rich_error
from tests.two_factor import TEST_MFA_KEYS

PACKAGE = "authtuna_api.user.v1"
PASSWORD = "Matrix-Pass-9"
CALLERS = ("anonymous", "Member", "UserManager", "Auditor", "Admin")
UNSERVED_BY_MATRIX = {
    "grpc.health.v1.Health",
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
}

OK = grpc.StatusCode.OK
UNAUTHENTICATED = grpc.StatusCode.UNAUTHENTICATED
DENIED = grpc.StatusCode.PERMISSION_DENIED


@dataclass
class Scene:
    """What requests need, made through the storage layer, fresh for every call."""

    units: UnitOfWorkFactory
    target_id: uuid.UUID
    _serial: itertools.count[int] = field(default_factory=itertools.count)

    def unique(self, prefix: str) -> str:
        return f"{prefix}-{next(self._serial)}"

    async def user(self) -> uuid.UUID:
        name = self.unique("matrix-user")
        async with self.units() as uow:
            account = new_user(email=f"{name}@example.com", username=name, password=None, attributes={})
            user = await uow.users.add(new_id(), account, None, utc_now())
            await uow.commit()
        return user.id

    async def role(self) -> str:
        """A custom role granting nothing, held by nobody."""
        name = self.unique("MatrixRole")
        async with self.units() as uow:
            await uow.roles.add(new_id(), NewRole(name, "", frozenset()), utc_now())
            await uow.commit()
        return name

    async def assignment(self) -> tuple[uuid.UUID, str, str]:
        """(user id, role, scope) of a fresh assignment."""
        user_id, role, scope = self.target_id, await self.role(), "project:matrix"
        async with self.units() as uow:
            role_id = await uow.roles.id_of(role)
            assert role_id is not None
            await uow.roles.assign(
                assignment_id=new_id(), user_id=user_id, role_id=role_id, scope=scope,
                granted_by=None, granted_at=utc_now(),
            )
            await uow.commit()
        return user_id, role, scope

    async def suspended_user(self) -> uuid.UUID:
        user_id = await self.user()
        await SuspensionManager(self.units, utc_now).suspend(system_caller(), user_id, "matrix")
        return user_id

    async def deleted_user(self) -> uuid.UUID:
        user_id = await self.user()
        await DeletionManager(self.units, utc_now).delete(system_caller(), user_id, "matrix")
        return user_id

    async def password_user(self) -> str:
        """A fresh user who can sign in with PASSWORD; its username."""
        name = self.unique("matrix-signer")
        password_hash = argon2.PasswordHasher(time_cost=1, memory_cost=64, parallelism=1).hash(PASSWORD)
        async with self.units() as uow:
            account = new_user(email=f"{name}@example.com", username=name, password=None, attributes={})
            await uow.users.add(new_id(), account, password_hash, utc_now())
            await uow.commit()
        return name

    async def session(self) -> tuple[uuid.UUID, str]:
        """(id, token) of a fresh live session of the target user."""
        session_id, token, now = new_id(), generate_session_token(), utc_now()
        async with self.units() as uow:
            await uow.sessions.add(
                session_id=session_id, user_id=self.target_id, token_hash=token_digest(token),
                created_at=now, expires_at=now + timedelta(hours=1),
                idle_expires_at=now + timedelta(hours=1),
            )
            await uow.commit()
        return session_id, token

    async def pending_enrollment(self) -> tuple[uuid.UUID, str]:
        """(user id, secret) of a fresh user with an unconfirmed authenticator."""
        user_id, secret, now = await self.user(), new_secret(), utc_now()
        box = SecretBox.from_setting(TEST_MFA_KEYS)
        assert box is not None
        async with self.units() as uow:
            await uow.second_factors.put_pending(user_id, box.seal(secret, secret_context(user_id)), now)
            await uow.commit()
        return user_id, secret

    async def enrolled(self) -> tuple[uuid.UUID, str]:
        """(user id, one of its recovery codes) of a fresh user with a confirmed authenticator."""
        user_id, _ = await self.pending_enrollment()
        code, now = new_recovery_code(), utc_now()
        async with self.units() as uow:
            await uow.second_factors.confirm(user_id, time_step(now), now)
            await uow.second_factors.replace_codes(user_id, [(new_id(), recovery_code_hash(code))], now)
            await uow.commit()
        return user_id, code

    async def challenge(self) -> tuple[str, str]:
        """(challenge token, recovery code) of a fresh two-factor sign-in halfway done."""
        user_id, code = await self.enrolled()
        token, now = new_challenge_token(), utc_now()
        async with self.units() as uow:
            await uow.sign_in_challenges.add(
                challenge_id=new_id(), token_hash=token_digest(token), user_id=user_id,
                created_at=now, expires_at=now + timedelta(minutes=5),
            )
            await uow.commit()
        return token, code
    async def consent(self) -> str:
        """A fresh purpose the target user's consent is in force for."""
        purpose = self.unique("matrix-purpose")
        async with self.units() as uow:
            await uow.consents.add(
                Consent(new_id(), self.target_id, purpose, "v1", utc_now(), None, None)
            )
            await uow.commit()
        return purpose

    async def token(self) -> uuid.UUID:
        token_id = new_id()
        async with self.units() as uow:
            await issue_token(
                uow, system_caller(), user_id=self.target_id, name="matrix", secret=generate_secret(),
                token_id=token_id, now=utc_now(),
            )
            await uow.commit()
        return token_id


RequestFactory = Callable[[Scene], Awaitable[message.Message]]
Codes = tuple[grpc.StatusCode, grpc.StatusCode, grpc.StatusCode, grpc.StatusCode, grpc.StatusCode]


@dataclass(frozen=True)
class Row:
    rpc: str  # "Service/Method" in package authtuna_api.user.v1
    request: RequestFactory
    expected: Codes  # in the order of CALLERS


async def _create_user(scene: Scene) -> message.Message:
    name = scene.unique("created")
    return users_pb.CreateUserRequest(email=f"{name}@example.com", username=name)


async def _get_user(scene: Scene) -> message.Message:
    return users_pb.GetUserRequest(id=str(scene.target_id), with_relations=True)


async def _list_users(scene: Scene) -> message.Message:
    return users_pb.ListUsersRequest(limit=5)


async def _search_users(scene: Scene) -> message.Message:
    return users_pb.SearchUsersRequest(identity="matrix", limit=5)


async def _basic_search_users(scene: Scene) -> message.Message:
    return users_pb.BasicSearchUsersRequest(username="matrix", limit=5)


async def _list_audit_events(scene: Scene) -> message.Message:
    return users_pb.ListAuditEventsRequest(user_id=str(scene.target_id), limit=5)


async def _watch_audit_events(scene: Scene) -> message.Message:
    # Replays from the start, so a permitted caller's first message comes at once.
    return users_pb.WatchAuditEventsRequest(after_id=0)


async def _update_user(scene: Scene) -> message.Message:
    user_id = await scene.user()
    return users_pb.UpdateUserRequest(
        id=str(user_id),
        user=user_pb2.User(email_verified=True),
        update_mask=field_mask_pb2.FieldMask(paths=["email_verified"]),
        etag="v1",
    )


async def _set_password(scene: Scene) -> message.Message:
    return users_pb.SetPasswordRequest(id=str(await scene.user()), password="Matrix-Pass-9")


async def _suspend_user(scene: Scene) -> message.Message:
    return users_pb.SuspendUserRequest(id=str(await scene.user()), reason="matrix")


async def _unsuspend_user(scene: Scene) -> message.Message:
    return users_pb.UnsuspendUserRequest(id=str(await scene.suspended_user()), reason="matrix")


async def _delete_user(scene: Scene) -> message.Message:
    return users_pb.DeleteUserRequest(id=str(await scene.user()), reason="matrix")


async def _get_deleted_user(scene: Scene) -> message.Message:
    return users_pb.GetDeletedUserRequest(id=str(await scene.deleted_user()))


async def _sign_in(scene: Scene) -> message.Message:
    return sessions_pb.SignInRequest(identity=await scene.password_user(), password=PASSWORD)


async def _sign_out(scene: Scene) -> message.Message:
    return sessions_pb.SignOutRequest(session_token=(await scene.session())[1])


async def _validate_session(scene: Scene) -> message.Message:
    return sessions_pb.ValidateSessionRequest(session_token=(await scene.session())[1])


async def _revoke_session(scene: Scene) -> message.Message:
    return sessions_pb.RevokeSessionRequest(id=str((await scene.session())[0]))


async def _revoke_all_sessions(scene: Scene) -> message.Message:
    return sessions_pb.RevokeAllSessionsRequest(user_id=str(scene.target_id))


async def _list_sessions(scene: Scene) -> message.Message:
    return sessions_pb.ListSessionsRequest(user_id=str(scene.target_id))


async def _clear_sign_in_lock(scene: Scene) -> message.Message:
    return sessions_pb.ClearSignInLockRequest(user_id=str(scene.target_id))


async def _complete_sign_in(scene: Scene) -> message.Message:
    token, code = await scene.challenge()
    return sessions_pb.CompleteSignInRequest(challenge_token=token, code=code)


async def _begin_totp_enrollment(scene: Scene) -> message.Message:
    return sessions_pb.BeginTotpEnrollmentRequest(user_id=str(await scene.user()))


async def _confirm_totp_enrollment(scene: Scene) -> message.Message:
    user_id, secret = await scene.pending_enrollment()
    return sessions_pb.ConfirmTotpEnrollmentRequest(user_id=str(user_id), code=pyotp.TOTP(secret).now())


async def _regenerate_recovery_codes(scene: Scene) -> message.Message:
    return sessions_pb.RegenerateRecoveryCodesRequest(user_id=str((await scene.enrolled())[0]))


async def _get_second_factor(scene: Scene) -> message.Message:
    return sessions_pb.GetSecondFactorRequest(user_id=str(scene.target_id))


async def _reset_second_factor(scene: Scene) -> message.Message:
    return sessions_pb.ResetSecondFactorRequest(user_id=str((await scene.enrolled())[0]), reason="matrix")


async def _create_role(scene: Scene) -> message.Message:
    return roles_pb.CreateRoleRequest(name=scene.unique("Created"), permissions=["users.read_basic"])


async def _list_roles(scene: Scene) -> message.Message:
    return roles_pb.ListRolesRequest()


async def _delete_role(scene: Scene) -> message.Message:
    return roles_pb.DeleteRoleRequest(name=await scene.role())


async def _assign_role(scene: Scene) -> message.Message:
    role = await scene.role()
    return roles_pb.AssignRoleRequest(user_id=str(scene.target_id), role=role, scope="team:matrix")


async def _revoke_role(scene: Scene) -> message.Message:
    user_id, role, scope = await scene.assignment()
    return roles_pb.RevokeRoleRequest(user_id=str(user_id), role=role, scope=scope)


async def _list_role_assignments(scene: Scene) -> message.Message:
    return roles_pb.ListRoleAssignmentsRequest(role="Admin")


async def _create_api_token(scene: Scene) -> message.Message:
    return tokens_pb.CreateApiTokenRequest(user_id=str(scene.target_id), name="matrix")


async def _list_api_tokens(scene: Scene) -> message.Message:
    return tokens_pb.ListApiTokensRequest(user_id=str(scene.target_id))


async def _revoke_api_token(scene: Scene) -> message.Message:
    return tokens_pb.RevokeApiTokenRequest(id=str(await scene.token()))


async def _export_user_data(scene: Scene) -> message.Message:
    return compliance_pb.ExportUserDataRequest(user_id=str(scene.target_id))


async def _grant_consent(scene: Scene) -> message.Message:
    return compliance_pb.GrantConsentRequest(
        user_id=str(scene.target_id), purpose=scene.unique("granted"), version="v1"
    )


async def _withdraw_consent(scene: Scene) -> message.Message:
    return compliance_pb.WithdrawConsentRequest(user_id=str(scene.target_id), purpose=await scene.consent())


async def _list_consents(scene: Scene) -> message.Message:
    return compliance_pb.ListConsentsRequest(user_id=str(scene.target_id))


async def _verify_audit_log(scene: Scene) -> message.Message:
    return compliance_pb.VerifyAuditLogRequest()


async def _import_users(scene: Scene) -> message.Message:
    """One request of the import stream (the matrix sends it as a stream of one)."""
    name = scene.unique("imported")
    return compliance_pb.ImportUsersRequest(
        users=[compliance_pb2.ImportedUser(email=f"{name}@example.com", username=name)]
    )


# fmt: off
MATRIX = [
    #                                                      anonymous        Member  UserManager  Auditor  Admin
    Row("UserService/CreateUser",              _create_user,           (UNAUTHENTICATED, DENIED, OK,     DENIED, OK)),
    Row("UserService/GetUser",                 _get_user,              (UNAUTHENTICATED, DENIED, OK,     OK,     OK)),
    Row("UserService/ListUsers",               _list_users,            (UNAUTHENTICATED, DENIED, OK,     OK,     OK)),
    Row("UserService/UpdateUser",              _update_user,           (UNAUTHENTICATED, DENIED, OK,     DENIED, OK)),
    Row("UserService/SetPassword",             _set_password,          (UNAUTHENTICATED, DENIED, OK,     DENIED, OK)),
    Row("UserService/SuspendUser",             _suspend_user,          (UNAUTHENTICATED, DENIED, OK,     DENIED, OK)),
    Row("UserService/UnsuspendUser",           _unsuspend_user,        (UNAUTHENTICATED, DENIED, OK,     DENIED, OK)),
    Row("UserService/DeleteUser",              _delete_user,           (UNAUTHENTICATED, DENIED, DENIED, DENIED, OK)),
    Row("UserService/GetDeletedUser",          _get_deleted_user,      (UNAUTHENTICATED, DENIED, DENIED, DENIED, OK)),
    Row("UserService/SearchUsers",             _search_users,          (UNAUTHENTICATED, DENIED, OK,     OK,     OK)),
    Row("UserService/BasicSearchUsers",        _basic_search_users,    (UNAUTHENTICATED, OK,     OK,     OK,     OK)),
    Row("UserService/ListAuditEvents",         _list_audit_events,     (UNAUTHENTICATED, DENIED, DENIED, OK,     OK)),
    Row("UserService/WatchAuditEvents",        _watch_audit_events,    (UNAUTHENTICATED, DENIED, DENIED, OK,     OK)),
    Row("SessionService/SignIn",               _sign_in,               (UNAUTHENTICATED, DENIED, DENIED, DENIED, OK)),
    Row("SessionService/SignOut",              _sign_out,              (UNAUTHENTICATED, DENIED, DENIED, DENIED, OK)),
    Row("SessionService/ValidateSession",      _validate_session,      (UNAUTHENTICATED, DENIED, DENIED, DENIED, OK)),
    Row("SessionService/RevokeSession",        _revoke_session,        (UNAUTHENTICATED, DENIED, OK,     DENIED, OK)),
    Row("SessionService/RevokeAllSessions",    _revoke_all_sessions,   (UNAUTHENTICATED, DENIED, OK,     DENIED, OK)),
    Row("SessionService/ListSessions",         _list_sessions,         (UNAUTHENTICATED, DENIED, OK,     DENIED, OK)),
    Row("SessionService/ClearSignInLock",      _clear_sign_in_lock,    (UNAUTHENTICATED, DENIED, OK,     DENIED, OK)),
    Row("SessionService/CompleteSignIn",       _complete_sign_in,      (UNAUTHENTICATED, DENIED, DENIED, DENIED, OK)),
    Row("SessionService/BeginTotpEnrollment",  _begin_totp_enrollment, (UNAUTHENTICATED, DENIED, DENIED, DENIED, OK)),
    Row("SessionService/ConfirmTotpEnrollment", _confirm_totp_enrollment, (UNAUTHENTICATED, DENIED, DENIED, DENIED, OK)),
    Row("SessionService/RegenerateRecoveryCodes", _regenerate_recovery_codes, (UNAUTHENTICATED, DENIED, DENIED, DENIED, OK)),
    Row("SessionService/GetSecondFactor",      _get_second_factor,     (UNAUTHENTICATED, DENIED, DENIED, DENIED, OK)),
    Row("SessionService/ResetSecondFactor",    _reset_second_factor,   (UNAUTHENTICATED, DENIED, OK,     DENIED, OK)),
    Row("RoleService/CreateRole",              _create_role,           (UNAUTHENTICATED, DENIED, DENIED, DENIED, OK)),
    Row("RoleService/ListRoles",               _list_roles,            (UNAUTHENTICATED, DENIED, OK,     OK,     OK)),
    Row("RoleService/DeleteRole",              _delete_role,           (UNAUTHENTICATED, DENIED, DENIED, DENIED, OK)),
    Row("RoleService/AssignRole",              _assign_role,           (UNAUTHENTICATED, DENIED, DENIED, DENIED, OK)),
    Row("RoleService/RevokeRole",              _revoke_role,           (UNAUTHENTICATED, DENIED, DENIED, DENIED, OK)),
    Row("RoleService/ListRoleAssignments",     _list_role_assignments, (UNAUTHENTICATED, DENIED, OK,     OK,     OK)),
    Row("ApiTokenService/CreateApiToken",      _create_api_token,      (UNAUTHENTICATED, DENIED, DENIED, DENIED, OK)),
    Row("ApiTokenService/ListApiTokens",       _list_api_tokens,       (UNAUTHENTICATED, DENIED, DENIED, DENIED, OK)),
    Row("ApiTokenService/RevokeApiToken",      _revoke_api_token,      (UNAUTHENTICATED, DENIED, DENIED, DENIED, OK)),
    Row("ComplianceService/ExportUserData",    _export_user_data,      (UNAUTHENTICATED, DENIED, DENIED, DENIED, OK)),
    Row("ComplianceService/GrantConsent",      _grant_consent,         (UNAUTHENTICATED, DENIED, OK,     DENIED, OK)),
    Row("ComplianceService/WithdrawConsent",   _withdraw_consent,      (UNAUTHENTICATED, DENIED, OK,     DENIED, OK)),
    Row("ComplianceService/ListConsents",      _list_consents,         (UNAUTHENTICATED, DENIED, OK,     OK,     OK)),
    Row("ComplianceService/VerifyAuditLog",    _verify_audit_log,      (UNAUTHENTICATED, DENIED, DENIED, OK,     OK)),
    Row("ComplianceService/ImportUsers",       _import_users,          (UNAUTHENTICATED, DENIED, DENIED, DENIED, OK)),
]
# fmt: on


async def _caller_metadata(units: UnitOfWorkFactory) -> dict[str, Metadata]:
    metadata: dict[str, Metadata] = {"anonymous": (), "Admin": bearer(ADMIN_TOKEN)}
    for role in ("Member", "UserManager", "Auditor"):
        metadata[role] = bearer(await token_for_new_user(units, f"matrix-{role.lower()}", role))
    return metadata


async def _status_of(channel: grpc.aio.Channel, rpc: str, request: message.Message, metadata: Metadata) -> grpc.StatusCode:
    method = descriptor_pool.Default().FindMethodByName(f"{PACKAGE}.{rpc.replace('/', '.')}")
    response_type = message_factory.GetMessageClass(method.output_type)
    path = f"/{PACKAGE}.{rpc}"
    serialize, deserialize = type(request).SerializeToString, response_type.FromString
    try:
        if method.client_streaming and method.server_streaming:
            call = channel.stream_stream(path, serialize, deserialize)
            async for _ in call(iter([request]), metadata=metadata):
                pass
        elif method.client_streaming:
            await channel.stream_unary(path, serialize, deserialize)(iter([request]), metadata=metadata)
        elif method.server_streaming:
            # The first message (or the end) settles the status; a live stream never ends.
            stream = channel.unary_stream(path, serialize, deserialize)(request, metadata=metadata)
            await stream.read()
            stream.cancel()
        else:
            await channel.unary_unary(path, serialize, deserialize)(request, metadata=metadata)
    except grpc.aio.AioRpcError as error:
        details = rich_error(error)
        if error.code() == DENIED:
            assert details.reason == "PERMISSION_DENIED" and details.metadata.get("permission"), details
        return error.code()
    return OK


@pytest.mark.parametrize("row", MATRIX, ids=lambda row: row.rpc)
async def test_each_caller_gets_exactly_the_expected_status(channel, units, row: Row) -> None:
    scene = Scene(units, target_id=await _target(units))
    metadata = await _caller_metadata(units)
    got = {}
    for caller in CALLERS:
        got[caller] = await _status_of(channel, row.rpc, await row.request(scene), metadata[caller])
    assert got == dict(zip(CALLERS, row.expected, strict=True))


async def _target(units: UnitOfWorkFactory) -> uuid.UUID:
    async with units() as uow:
        account = new_user(email="target@example.com", username="matrix-target", password=None, attributes={})
        user = await uow.users.add(new_id(), account, None, utc_now())
        await uow.commit()
    return user.id


async def test_every_served_rpc_has_a_row(channel) -> None:
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    call = stub.ServerReflectionInfo()
    await call.write(reflection_pb2.ServerReflectionRequest(list_services=""))
    listed = (await call.read()).list_services_response.service
    await call.done_writing()
    served = {
        f"{service.full_name}/{method.name}"
        for service in (
            descriptor_pool.Default().FindServiceByName(s.name)
            for s in listed
            if s.name not in UNSERVED_BY_MATRIX
        )
        for method in service.methods
    }
    in_matrix = {f"{PACKAGE}.{row.rpc}" for row in MATRIX}
    assert served, "reflection listed no services"
    assert served - in_matrix == set(), "served RPCs without a row in MATRIX"
    assert in_matrix - served == set(), "rows in MATRIX for RPCs the server does not serve"
