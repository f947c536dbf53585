"""UserService: each method parses, makes one manager call, converts back."""

from __future__ import annotations

from typing import Any

from authtuna_api.user.v1 import user_service_pb2 as pb
from authtuna_api.user.v1 import user_service_pb2_grpc

from authtuna_grpc.api.converters import to_proto_deleted_user, to_proto_user, to_user_update
from authtuna_grpc.api.interceptors import current_caller
from authtuna_grpc.api.user_streams import UserStreamRpcs
from authtuna_grpc.domain.errors import InvalidInput
from authtuna_grpc.domain.user import new_user
from authtuna_grpc.domain.user_updates import expected_version
from authtuna_grpc.services.audit_log import AuditLog
from authtuna_grpc.services.audit_watch import AuditWatcher
from authtuna_grpc.services.deletions import DeletionManager
from authtuna_grpc.services.suspensions import SuspensionManager
from authtuna_grpc.services.user_manager import UserManager, parse_user_id
from authtuna_grpc.services.user_search import UserSearcher

Context = Any  # grpc.aio.ServicerContext; grpcio ships no type information


class UserServicer(UserStreamRpcs, user_service_pb2_grpc.UserServiceServicer):
    def __init__(
        self,
        users: UserManager,
        suspensions: SuspensionManager,
        deletions: DeletionManager,
        *,
        searcher: UserSearcher,
        audit_log: AuditLog,
        audit_watcher: AuditWatcher,
    ) -> None:
        self._users = users
        self._suspensions = suspensions
        self._deletions = deletions
        self._searcher = searcher
        self._audit_log = audit_log
        self._audit_watcher = audit_watcher

    async def CreateUser(self, request: pb.CreateUserRequest, context: Context) -> pb.CreateUserResponse:
        registration = new_user(
            email=request.email,
            username=request.username,
            password=request.password if request.HasField("password") else None,
            attributes=dict(request.attributes),
            email_verified=request.email_verified,
        )
        user = await self._users.create(current_caller(), registration)
        return pb.CreateUserResponse(user=to_proto_user(user))

    async def GetUser(self, request: pb.GetUserRequest, context: Context) -> pb.GetUserResponse:
        kind = request.WhichOneof("lookup")
        if kind is None:
            raise InvalidInput.field("lookup", "set one of id, email or username")
        if request.with_relations:
            user, assignments = await self._users.get_with_relations(kind, getattr(request, kind))
            return pb.GetUserResponse(user=to_proto_user(user, assignments))
        user = await self._users.get(kind, getattr(request, kind))
        return pb.GetUserResponse(user=to_proto_user(user))

    async def ListUsers(self, request: pb.ListUsersRequest, context: Context) -> pb.ListUsersResponse:
        page = await self._users.list(
            skip=request.skip, limit=request.limit, page_token=request.page_token
        )
        return pb.ListUsersResponse(
            users=[to_proto_user(u) for u in page.users], next_page_token=page.next_page_token
        )

    async def UpdateUser(self, request: pb.UpdateUserRequest, context: Context) -> pb.UpdateUserResponse:
        user_id = parse_user_id(request.id, "id")
        update = to_user_update(request)
        version = expected_version(request.etag)
        user = await self._users.update(current_caller(), user_id, update, version)
        return pb.UpdateUserResponse(user=to_proto_user(user))

    async def SetPassword(self, request: pb.SetPasswordRequest, context: Context) -> pb.SetPasswordResponse:
        user_id = parse_user_id(request.id, "id")
        user = await self._users.set_password(current_caller(), user_id, request.password)
        return pb.SetPasswordResponse(user=to_proto_user(user))

    async def SuspendUser(self, request: pb.SuspendUserRequest, context: Context) -> pb.SuspendUserResponse:
        user_id = parse_user_id(request.id, "id")
        user = await self._suspensions.suspend(current_caller(), user_id, request.reason)
        return pb.SuspendUserResponse(user=to_proto_user(user))

    async def UnsuspendUser(
        self, request: pb.UnsuspendUserRequest, context: Context
    ) -> pb.UnsuspendUserResponse:
        user_id = parse_user_id(request.id, "id")
        user = await self._suspensions.unsuspend(current_caller(), user_id, request.reason)
        return pb.UnsuspendUserResponse(user=to_proto_user(user))

    async def DeleteUser(self, request: pb.DeleteUserRequest, context: Context) -> pb.DeleteUserResponse:
        user_id = parse_user_id(request.id, "id")
        record = await self._deletions.delete(current_caller(), user_id, request.reason)
        return pb.DeleteUserResponse(deleted_user=to_proto_deleted_user(record))

    async def GetDeletedUser(
        self, request: pb.GetDeletedUserRequest, context: Context
    ) -> pb.GetDeletedUserResponse:
        record = await self._deletions.get_deleted(parse_user_id(request.id, "id"))
        return pb.GetDeletedUserResponse(deleted_user=to_proto_deleted_user(record))
