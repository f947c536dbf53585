"""UserService: each method parses, makes one manager call, converts back."""

from __future__ import annotations

from typing import Any

from authtuna_api.user.v1 import user_service_pb2 as pb
from authtuna_api.user.v1 import user_service_pb2_grpc

from authtuna_grpc.api.converters import to_proto_user
from authtuna_grpc.api.interceptors import current_caller
from authtuna_grpc.api.user_streams import UserStreamRpcs
from authtuna_grpc.domain.errors import InvalidInput
from authtuna_grpc.domain.user import new_user
from authtuna_grpc.services.audit_log import AuditLog
from authtuna_grpc.services.audit_watch import AuditWatcher
from authtuna_grpc.services.user_manager import UserManager
from authtuna_grpc.services.user_search import UserSearcher

Context = Any  # grpc.aio.ServicerContext; grpcio ships no type information


class UserServicer(UserStreamRpcs, user_service_pb2_grpc.UserServiceServicer):
    def __init__(
        self,
        users: UserManager,
        *,
        searcher: UserSearcher,
        audit_log: AuditLog,
        audit_watcher: AuditWatcher,
    ) -> None:
        self._users = users
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
        user = await self._users.get(kind, getattr(request, kind))
        return pb.GetUserResponse(user=to_proto_user(user))

    async def ListUsers(self, request: pb.ListUsersRequest, context: Context) -> pb.ListUsersResponse:
        page = await self._users.list(
            skip=request.skip, limit=request.limit, page_token=request.page_token
        )
        return pb.ListUsersResponse(
            users=[to_proto_user(u) for u in page.users], next_page_token=page.next_page_token
        )
