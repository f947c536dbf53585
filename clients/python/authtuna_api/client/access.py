"""RoleService and ApiTokenService methods: roles, assignments at scopes, API tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import datetime

from authtuna_api.client import messages
from authtuna_api.client.calls import AsyncCalls, SyncCalls
from authtuna_api.client.streams import aflatten, apages, flatten, pages
from authtuna_api.client.timeouts import DEFAULT, Timeout
from authtuna_api.user.v1 import (
    api_token_pb2,
    api_token_service_pb2 as tokens_pb,
    role_pb2,
    role_service_pb2 as roles_pb,
)


class RoleMethods(SyncCalls):
    """RoleService, blocking."""

    def create_role(
        self, name: str, *, description: str = "", permissions: Sequence[str] = (), timeout: Timeout = DEFAULT
    ) -> role_pb2.Role:
        request = roles_pb.CreateRoleRequest(name=name, description=description, permissions=permissions)
        return self._unary(self.roles.CreateRole, request, timeout).role

    def list_roles(self, *, timeout: Timeout = DEFAULT) -> list[role_pb2.Role]:
        return list(self._unary(self.roles.ListRoles, roles_pb.ListRolesRequest(), timeout).roles)

    def delete_role(self, name: str, *, timeout: Timeout = DEFAULT) -> None:
        self._unary(self.roles.DeleteRole, roles_pb.DeleteRoleRequest(name=name), timeout)

    def assign_role(
        self, user_id: str, role: str, *, scope: str = "", timeout: Timeout = DEFAULT
    ) -> role_pb2.RoleAssignment:
        request = roles_pb.AssignRoleRequest(user_id=user_id, role=role, scope=scope)
        return self._unary(self.roles.AssignRole, request, timeout).assignment

    def revoke_role(
        self, user_id: str, role: str, *, scope: str = "", timeout: Timeout = DEFAULT
    ) -> role_pb2.RoleAssignment:
        request = roles_pb.RevokeRoleRequest(user_id=user_id, role=role, scope=scope)
        return self._unary(self.roles.RevokeRole, request, timeout).assignment

    def list_role_assignments(
        self,
        *,
        user_id: str | None = None,
        role: str | None = None,
        scope: str = "",
        limit: int = 0,
        page_token: str = "",
        timeout: Timeout = DEFAULT,
    ) -> roles_pb.ListRoleAssignmentsResponse:
        """One page of the assignments of a user or of a role (exactly one)."""
        request = messages.list_role_assignments(
            user_id=user_id, role=role, scope=scope, limit=limit, page_token=page_token
        )
        return self._unary(self.roles.ListRoleAssignments, request, timeout)

    def iter_role_assignments(
        self, *, user_id: str | None = None, role: str | None = None, scope: str = "", page_size: int = 0,
        timeout: Timeout = DEFAULT,
    ) -> Iterator[role_pb2.RoleAssignment]:
        """Every assignment of a user or of a role, following page tokens."""
        fetch = lambda token: self.list_role_assignments(  # noqa: E731
            user_id=user_id, role=role, scope=scope, limit=page_size, page_token=token, timeout=timeout
        )
        return flatten(pages(fetch), messages.assignments_of)


class AsyncRoleMethods(AsyncCalls):
    """RoleService, asyncio."""

    async def create_role(
        self, name: str, *, description: str = "", permissions: Sequence[str] = (), timeout: Timeout = DEFAULT
    ) -> role_pb2.Role:
        request = roles_pb.CreateRoleRequest(name=name, description=description, permissions=permissions)
        return (await self._unary(self.roles.CreateRole, request, timeout)).role

    async def list_roles(self, *, timeout: Timeout = DEFAULT) -> list[role_pb2.Role]:
        return list((await self._unary(self.roles.ListRoles, roles_pb.ListRolesRequest(), timeout)).roles)

    async def delete_role(self, name: str, *, timeout: Timeout = DEFAULT) -> None:
        await self._unary(self.roles.DeleteRole, roles_pb.DeleteRoleRequest(name=name), timeout)

    async def assign_role(
        self, user_id: str, role: str, *, scope: str = "", timeout: Timeout = DEFAULT
    ) -> role_pb2.RoleAssignment:
        request = roles_pb.AssignRoleRequest(user_id=user_id, role=role, scope=scope)
        return (await self._unary(self.roles.AssignRole, request, timeout)).assignment

    async def revoke_role(
        self, user_id: str, role: str, *, scope: str = "", timeout: Timeout = DEFAULT
    ) -> role_pb2.RoleAssignment:
        request = roles_pb.RevokeRoleRequest(user_id=user_id, role=role, scope=scope)
        return (await self._unary(self.roles.RevokeRole, request, timeout)).assignment

    async def list_role_assignments(
        self,
        *,
        user_id: str | None = None,
        role: str | None = None,
        scope: str = "",
        limit: int = 0,
        page_token: str = "",
        timeout: Timeout = DEFAULT,
    ) -> roles_pb.ListRoleAssignmentsResponse:
        """One page of the assignments of a user or of a role (exactly one)."""
        request = messages.list_role_assignments(
            user_id=user_id, role=role, scope=scope, limit=limit, page_token=page_token
        )
        return await self._unary(self.roles.ListRoleAssignments, request, timeout)

    def iter_role_assignments(
        self, *, user_id: str | None = None, role: str | None = None, scope: str = "", page_size: int = 0,
        timeout: Timeout = DEFAULT,
    ) -> AsyncIterator[role_pb2.RoleAssignment]:
        """Every assignment of a user or of a role, following page tokens."""
        fetch = lambda token: self.list_role_assignments(  # noqa: E731
            user_id=user_id, role=role, scope=scope, limit=page_size, page_token=token, timeout=timeout
        )
        return aflatten(apages(fetch), messages.assignments_of)


class ApiTokenMethods(SyncCalls):
    """ApiTokenService, blocking."""

    def create_api_token(
        self, user_id: str, name: str, *, expires_at: datetime | None = None, timeout: Timeout = DEFAULT
    ) -> tokens_pb.CreateApiTokenResponse:
        """A new token: `.token` describes it, `.secret` is shown this once."""
        request = messages.create_api_token(user_id, name, expires_at)
        return self._unary(self.api_tokens.CreateApiToken, request, timeout)

    def list_api_tokens(self, user_id: str, *, timeout: Timeout = DEFAULT) -> list[api_token_pb2.ApiToken]:
        request = tokens_pb.ListApiTokensRequest(user_id=user_id)
        return list(self._unary(self.api_tokens.ListApiTokens, request, timeout).tokens)

    def revoke_api_token(self, id: str, *, timeout: Timeout = DEFAULT) -> api_token_pb2.ApiToken:
        request = tokens_pb.RevokeApiTokenRequest(id=id)
        return self._unary(self.api_tokens.RevokeApiToken, request, timeout).token


class AsyncApiTokenMethods(AsyncCalls):
    """ApiTokenService, asyncio."""

    async def create_api_token(
        self, user_id: str, name: str, *, expires_at: datetime | None = None, timeout: Timeout = DEFAULT
    ) -> tokens_pb.CreateApiTokenResponse:
        """A new token: `.token` describes it, `.secret` is shown this once."""
        request = messages.create_api_token(user_id, name, expires_at)
        return await self._unary(self.api_tokens.CreateApiToken, request, timeout)

    async def list_api_tokens(self, user_id: str, *, timeout: Timeout = DEFAULT) -> list[api_token_pb2.ApiToken]:
        request = tokens_pb.ListApiTokensRequest(user_id=user_id)
        return list((await self._unary(self.api_tokens.ListApiTokens, request, timeout)).tokens)

    async def revoke_api_token(self, id: str, *, timeout: Timeout = DEFAULT) -> api_token_pb2.ApiToken:
        request = tokens_pb.RevokeApiTokenRequest(id=id)
        return (await self._unary(self.api_tokens.RevokeApiToken, request, timeout)).token
