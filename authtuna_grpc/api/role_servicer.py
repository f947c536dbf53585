"""RoleService: each method parses, makes one manager call, converts back."""

from __future__ import annotations

from typing import Any

from authtuna_api.user.v1 import role_service_pb2 as pb
from authtuna_api.user.v1 import role_service_pb2_grpc

from authtuna_grpc.api.converters import parse_id, to_proto_assignment, to_proto_role
from authtuna_grpc.api.interceptors import current_caller
from authtuna_grpc.domain.errors import InvalidInput
from authtuna_grpc.domain.roles import check_role_name, check_scope, new_role
from authtuna_grpc.services.role_manager import AssignmentQuery, RoleManager

Context = Any  # grpc.aio.ServicerContext; grpcio ships no type information


class RoleServicer(role_service_pb2_grpc.RoleServiceServicer):
    def __init__(self, roles: RoleManager) -> None:
        self._roles = roles

    async def CreateRole(self, request: pb.CreateRoleRequest, context: Context) -> pb.CreateRoleResponse:
        role = new_role(
            name=request.name, description=request.description, permissions=request.permissions
        )
        created = await self._roles.create(current_caller(), role)
        return pb.CreateRoleResponse(role=to_proto_role(created))

    async def ListRoles(self, request: pb.ListRolesRequest, context: Context) -> pb.ListRolesResponse:
        roles = await self._roles.list()
        return pb.ListRolesResponse(roles=[to_proto_role(r) for r in roles])

    async def DeleteRole(self, request: pb.DeleteRoleRequest, context: Context) -> pb.DeleteRoleResponse:
        await self._roles.delete(current_caller(), check_role_name(request.name, "name"))
        return pb.DeleteRoleResponse()

    async def AssignRole(self, request: pb.AssignRoleRequest, context: Context) -> pb.AssignRoleResponse:
        assignment = await self._roles.assign(
            current_caller(),
            parse_id(request.user_id, "user_id", "a user"),
            check_role_name(request.role, "role"),
            check_scope(request.scope, "scope"),
        )
        return pb.AssignRoleResponse(assignment=to_proto_assignment(assignment))

    async def RevokeRole(self, request: pb.RevokeRoleRequest, context: Context) -> pb.RevokeRoleResponse:
        assignment = await self._roles.revoke(
            current_caller(),
            parse_id(request.user_id, "user_id", "a user"),
            check_role_name(request.role, "role"),
            check_scope(request.scope, "scope"),
        )
        return pb.RevokeRoleResponse(assignment=to_proto_assignment(assignment))

    async def ListRoleAssignments(
        self, request: pb.ListRoleAssignmentsRequest, context: Context
    ) -> pb.ListRoleAssignmentsResponse:
        subject = request.WhichOneof("subject")
        if subject is None:
            raise InvalidInput.field("subject", "set one of user_id or role")
        page = await self._roles.assignments(
            AssignmentQuery(
                user_id=parse_id(request.user_id, "user_id", "a user") if subject == "user_id" else None,
                role=check_role_name(request.role, "role") if subject == "role" else None,
                scope=check_scope(request.scope, "scope") if request.scope else None,
                limit=request.limit,
                page_token=request.page_token,
            )
        )
        return pb.ListRoleAssignmentsResponse(
            assignments=[to_proto_assignment(a) for a in page.assignments],
            next_page_token=page.next_page_token,
        )
