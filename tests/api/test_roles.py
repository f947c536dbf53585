from __future__ import annotations

import grpc
import pytest
from authtuna_api.user.v1 import role_service_pb2 as pb
from authtuna_api.user.v1 import role_service_pb2_grpc
from authtuna_api.user.v1 import user_service_pb2 as users_pb

from tests.audit_rows import audit_rows
from tests.callers import Callers, bearer, token_for_new_user
from tests.rich_status import rich_error


@pytest.fixture
def roles(channel) -> role_service_pb2_grpc.RoleServiceStub:
    return role_service_pb2_grpc.RoleServiceStub(channel)


async def _user(users, callers: Callers, name: str) -> users_pb.User:
    request = users_pb.CreateUserRequest(email=f"{name}@example.com", username=name)
    return (await users.CreateUser(request, metadata=callers.admin)).user


async def _fails(call) -> object:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return rich_error(caught.value)


async def test_create_role_returns_it_with_sorted_permissions(roles, callers: Callers) -> None:
    request = pb.CreateRoleRequest(
        name="Support", description="Helps users", permissions=["users.read", "audit.read", "users.read"]
    )
    role = (await roles.CreateRole(request, metadata=callers.admin)).role
    assert (role.name, role.description, role.is_builtin) == ("Support", "Helps users", False)
    assert list(role.permissions) == ["audit.read", "users.read"]
    assert role.id and role.created_at.seconds > 0


@pytest.mark.parametrize("name", ["support", "SUPPORT", "admin"])
async def test_role_names_are_unique_case_insensitively(roles, callers: Callers, name: str) -> None:
    await roles.CreateRole(pb.CreateRoleRequest(name="Support"), metadata=callers.admin)
    error = await _fails(roles.CreateRole(pb.CreateRoleRequest(name=name), metadata=callers.admin))
    assert (error.code, error.reason) == (grpc.StatusCode.ALREADY_EXISTS, "ROLE_ALREADY_EXISTS")


@pytest.mark.parametrize(
    ("request_", "fields"),
    [
        (pb.CreateRoleRequest(name=""), ["name"]),
        (pb.CreateRoleRequest(name="9lives"), ["name"]),
        (pb.CreateRoleRequest(name="has space"), ["name"]),
        (pb.CreateRoleRequest(name="R" * 65), ["name"]),
        (pb.CreateRoleRequest(name="Ok", permissions=["users.read", "users.raed"]), ["permissions[1]"]),
        (pb.CreateRoleRequest(name="Ok", description="x" * 1025), ["description"]),
        (pb.CreateRoleRequest(name="", permissions=["*"]), ["name", "permissions[0]"]),
    ],
)
async def test_create_role_names_each_bad_field(roles, callers: Callers, request_, fields) -> None:
    error = await _fails(roles.CreateRole(request_, metadata=callers.admin))
    assert (error.code, error.fields) == (grpc.StatusCode.INVALID_ARGUMENT, fields)


async def test_list_roles_shows_the_builtin_roles_by_name(roles, callers: Callers) -> None:
    listed = (await roles.ListRoles(pb.ListRolesRequest(), metadata=callers.admin)).roles
    by_name = {role.name: role for role in listed}
    assert [role.name for role in listed] == ["Admin", "Auditor", "Member", "SignInService", "UserManager"]
    assert all(role.is_builtin for role in listed)
    assert list(by_name["Member"].permissions) == ["users.read_basic"]
    assert list(by_name["Auditor"].permissions) == ["audit.read", "users.read", "users.read_basic"]
    assert {"roles.manage", "tokens.manage"} <= set(by_name["Admin"].permissions)


@pytest.mark.parametrize("name", ["Admin", "member"])
async def test_builtin_roles_cannot_be_deleted(roles, callers: Callers, name: str) -> None:
    error = await _fails(roles.DeleteRole(pb.DeleteRoleRequest(name=name), metadata=callers.admin))
    assert (error.code, error.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "BUILTIN_ROLE_PROTECTED")


async def test_role_cannot_be_deleted_while_assigned_at_any_scope(roles, users, callers: Callers) -> None:
    user = await _user(users, callers, "holder")
    await roles.CreateRole(pb.CreateRoleRequest(name="Editor"), metadata=callers.admin)
    assign = pb.AssignRoleRequest(user_id=user.id, role="Editor", scope="project:web-app")
    await roles.AssignRole(assign, metadata=callers.admin)

    error = await _fails(roles.DeleteRole(pb.DeleteRoleRequest(name="Editor"), metadata=callers.admin))
    assert (error.code, error.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "ROLE_IN_USE")
    assert error.metadata == {"role": "Editor", "assignments": "1"}

    revoke = pb.RevokeRoleRequest(user_id=user.id, role="Editor", scope="project:web-app")
    await roles.RevokeRole(revoke, metadata=callers.admin)
    await roles.DeleteRole(pb.DeleteRoleRequest(name="editor"), metadata=callers.admin)
    listed = (await roles.ListRoles(pb.ListRolesRequest(), metadata=callers.admin)).roles
    assert "Editor" not in {role.name for role in listed}


async def test_deleting_an_unknown_role_is_not_found(roles, callers: Callers) -> None:
    error = await _fails(roles.DeleteRole(pb.DeleteRoleRequest(name="Ghost"), metadata=callers.admin))
    assert (error.code, error.reason) == (grpc.StatusCode.NOT_FOUND, "ROLE_NOT_FOUND")


async def test_assignment_records_role_scope_granter_and_time(roles, users, callers: Callers) -> None:
    user = await _user(users, callers, "grantee")
    admin = (await users.GetUser(users_pb.GetUserRequest(username="admin"), metadata=callers.admin)).user
    request = pb.AssignRoleRequest(user_id=user.id, role="auditor", scope="team:frontend")
    assignment = (await roles.AssignRole(request, metadata=callers.admin)).assignment
    assert (assignment.user_id, assignment.role, assignment.scope) == (user.id, "Auditor", "team:frontend")
    assert assignment.granted_by == admin.id
    assert assignment.granted_at.seconds > 0 and assignment.id and assignment.role_id


async def test_empty_scope_means_global(roles, users, callers: Callers) -> None:
    user = await _user(users, callers, "globe")
    request = pb.AssignRoleRequest(user_id=user.id, role="Member")
    assert (await roles.AssignRole(request, metadata=callers.admin)).assignment.scope == "global"


async def test_assigning_twice_at_one_scope_is_already_exists(roles, users, callers: Callers) -> None:
    user = await _user(users, callers, "twice")
    request = pb.AssignRoleRequest(user_id=user.id, role="Member", scope="project:a")
    await roles.AssignRole(request, metadata=callers.admin)
    error = await _fails(roles.AssignRole(request, metadata=callers.admin))
    assert (error.code, error.reason) == (grpc.StatusCode.ALREADY_EXISTS, "ROLE_ALREADY_ASSIGNED")
    other_scope = pb.AssignRoleRequest(user_id=user.id, role="MEMBER", scope="project:b")
    await roles.AssignRole(other_scope, metadata=callers.admin)


async def test_scopes_match_exactly_never_by_case_or_prefix(roles, users, callers: Callers) -> None:
    user = await _user(users, callers, "scoped")
    assign = pb.AssignRoleRequest(user_id=user.id, role="Member", scope="project:web-app")
    await roles.AssignRole(assign, metadata=callers.admin)
    for scope in ("project:Web-App", "project:web", "project:web-app-2", "global"):
        revoke = pb.RevokeRoleRequest(user_id=user.id, role="Member", scope=scope)
        error = await _fails(roles.RevokeRole(revoke, metadata=callers.admin))
        assert (error.code, error.reason) == (grpc.StatusCode.NOT_FOUND, "ASSIGNMENT_NOT_FOUND"), scope
        listed = await roles.ListRoleAssignments(
            pb.ListRoleAssignmentsRequest(role="Member", scope=scope), metadata=callers.admin
        )
        assert user.id not in {a.user_id for a in listed.assignments}, scope


async def test_role_names_never_match_by_prefix(roles, users, callers: Callers) -> None:
    user = await _user(users, callers, "prefixed")
    await roles.CreateRole(pb.CreateRoleRequest(name="AdminHelper"), metadata=callers.admin)
    await roles.AssignRole(pb.AssignRoleRequest(user_id=user.id, role="AdminHelper"), metadata=callers.admin)
    admins = await roles.ListRoleAssignments(pb.ListRoleAssignmentsRequest(role="Admin"), metadata=callers.admin)
    assert {a.role for a in admins.assignments} == {"Admin"}
    assert user.id not in {a.user_id for a in admins.assignments}
    error = await _fails(roles.AssignRole(pb.AssignRoleRequest(user_id=user.id, role="Admi"), metadata=callers.admin))
    assert error.reason == "ROLE_NOT_FOUND"


@pytest.mark.parametrize(
    ("request_", "fields"),
    [
        (pb.AssignRoleRequest(user_id="nope", role="Member"), ["user_id"]),
        (pb.AssignRoleRequest(user_id="0190d6a0-0000-7000-8000-000000000000", role=""), ["role"]),
        (pb.AssignRoleRequest(user_id="0190d6a0-0000-7000-8000-000000000000", role="Member", scope="web"), ["scope"]),
        (pb.AssignRoleRequest(user_id="0190d6a0-0000-7000-8000-000000000000", role="Member", scope="Project:x"), ["scope"]),
        (pb.AssignRoleRequest(user_id="0190d6a0-0000-7000-8000-000000000000", role="Member", scope="project:a b"), ["scope"]),
        (pb.AssignRoleRequest(user_id="0190d6a0-0000-7000-8000-000000000000", role="Member", scope="p:" + "x" * 127), ["scope"]),
    ],
    ids=["user_id", "role", "scope-no-kind", "scope-kind-case", "scope-space", "scope-long"],
)
async def test_assign_role_names_the_bad_field(roles, callers: Callers, request_, fields) -> None:
    error = await _fails(roles.AssignRole(request_, metadata=callers.admin))
    assert (error.code, error.fields) == (grpc.StatusCode.INVALID_ARGUMENT, fields)


async def test_assigning_to_an_unknown_user_or_role_is_not_found(roles, users, callers: Callers) -> None:
    user = await _user(users, callers, "known")
    missing_user = pb.AssignRoleRequest(user_id="0190d6a0-0000-7000-8000-000000000000", role="Member")
    missing_role = pb.AssignRoleRequest(user_id=user.id, role="Nobody")
    assert (await _fails(roles.AssignRole(missing_user, metadata=callers.admin))).reason == "USER_NOT_FOUND"
    assert (await _fails(roles.AssignRole(missing_role, metadata=callers.admin))).reason == "ROLE_NOT_FOUND"


async def test_only_global_assignments_give_permissions_here(roles, users, units, callers: Callers) -> None:
    token = await token_for_new_user(units, "scoped-admin", None)
    me = (await users.GetUser(users_pb.GetUserRequest(username="scoped-admin"), metadata=callers.admin)).user
    lookup = users_pb.GetUserRequest(username="admin")
    scoped = pb.AssignRoleRequest(user_id=me.id, role="Admin", scope="project:web-app")
    await roles.AssignRole(scoped, metadata=callers.admin)
    assert (await _fails(users.GetUser(lookup, metadata=bearer(token)))).metadata == {"permission": "users.read"}

    await roles.AssignRole(pb.AssignRoleRequest(user_id=me.id, role="Auditor"), metadata=callers.admin)
    assert (await users.GetUser(lookup, metadata=bearer(token))).user.username == "admin"

    await roles.RevokeRole(pb.RevokeRoleRequest(user_id=me.id, role="Auditor"), metadata=callers.admin)
    assert (await _fails(users.GetUser(lookup, metadata=bearer(token)))).code == grpc.StatusCode.PERMISSION_DENIED


async def test_list_role_assignments_by_user_and_by_role_and_scope(roles, users, callers: Callers) -> None:
    ada, bob = await _user(users, callers, "ada"), await _user(users, callers, "bob")
    for user, role, scope in [
        (ada, "Member", "global"), (ada, "Auditor", "project:web-app"),
        (bob, "Auditor", "project:web-app"), (bob, "Auditor", "team:frontend"),
    ]:
        await roles.AssignRole(pb.AssignRoleRequest(user_id=user.id, role=role, scope=scope), metadata=callers.admin)

    async def listed(**query) -> list[tuple[str, str, str]]:
        page = await roles.ListRoleAssignments(pb.ListRoleAssignmentsRequest(**query), metadata=callers.admin)
        names = {ada.id: "ada", bob.id: "bob"}
        return [(names[a.user_id], a.role, a.scope) for a in page.assignments]

    assert await listed(user_id=ada.id) == [("ada", "Member", "global"), ("ada", "Auditor", "project:web-app")]
    assert await listed(role="auditor") == [
        ("ada", "Auditor", "project:web-app"), ("bob", "Auditor", "project:web-app"), ("bob", "Auditor", "team:frontend"),
    ]
    assert await listed(role="Auditor", scope="project:web-app") == [
        ("ada", "Auditor", "project:web-app"), ("bob", "Auditor", "project:web-app"),
    ]
    assert await listed(user_id=bob.id, scope="team:frontend") == [("bob", "Auditor", "team:frontend")]


async def test_list_role_assignments_pages_by_token(roles, users, callers: Callers) -> None:
    for i in range(5):
        user = await _user(users, callers, f"paged{i}")
        await roles.AssignRole(pb.AssignRoleRequest(user_id=user.id, role="Member", scope="team:x"), metadata=callers.admin)
    seen, token = [], ""
    while True:
        request = pb.ListRoleAssignmentsRequest(role="Member", scope="team:x", limit=2, page_token=token)
        page = await roles.ListRoleAssignments(request, metadata=callers.admin)
        seen.extend(a.id for a in page.assignments)
        token = page.next_page_token
        if not token:
            break
    assert len(seen) == len(set(seen)) == 5
    assert seen == sorted(seen)


@pytest.mark.parametrize(
    ("request_", "code", "fields"),
    [
        (pb.ListRoleAssignmentsRequest(), grpc.StatusCode.INVALID_ARGUMENT, ["subject"]),
        (pb.ListRoleAssignmentsRequest(user_id="x"), grpc.StatusCode.INVALID_ARGUMENT, ["user_id"]),
        (pb.ListRoleAssignmentsRequest(role="Member", limit=1001), grpc.StatusCode.INVALID_ARGUMENT, ["limit"]),
        (pb.ListRoleAssignmentsRequest(role="Member", page_token="junk"), grpc.StatusCode.INVALID_ARGUMENT, ["page_token"]),
        (pb.ListRoleAssignmentsRequest(role="Member", scope="nope"), grpc.StatusCode.INVALID_ARGUMENT, ["scope"]),
        (pb.ListRoleAssignmentsRequest(role="Ghost"), grpc.StatusCode.NOT_FOUND, []),
        (pb.ListRoleAssignmentsRequest(user_id="0190d6a0-0000-7000-8000-000000000000"), grpc.StatusCode.NOT_FOUND, []),
    ],
)
async def test_list_role_assignments_rejects_bad_queries(roles, callers: Callers, request_, code, fields) -> None:
    error = await _fails(roles.ListRoleAssignments(request_, metadata=callers.admin))
    assert (error.code, error.fields) == (code, fields)


async def test_get_user_with_relations_returns_its_assignments(roles, users, callers: Callers) -> None:
    user = await _user(users, callers, "related")
    for role, scope in [("Member", "global"), ("Auditor", "project:web-app")]:
        await roles.AssignRole(pb.AssignRoleRequest(user_id=user.id, role=role, scope=scope), metadata=callers.admin)
    plain = (await users.GetUser(users_pb.GetUserRequest(id=user.id), metadata=callers.admin)).user
    related = (
        await users.GetUser(users_pb.GetUserRequest(username="RELATED", with_relations=True), metadata=callers.admin)
    ).user
    assert list(plain.role_assignments) == []
    assert [(a.role, a.scope) for a in related.role_assignments] == [("Member", "global"), ("Auditor", "project:web-app")]
    assert all(a.user_id == user.id for a in related.role_assignments)


async def test_a_caller_cannot_grant_permissions_it_lacks(roles, users, units, callers: Callers) -> None:
    await roles.CreateRole(
        pb.CreateRoleRequest(name="RoleKeeper", permissions=["roles.manage", "users.read", "users.read_basic"]),
        metadata=callers.admin,
    )
    token = await token_for_new_user(units, "keeper", "RoleKeeper")
    target = await _user(users, callers, "promoted")
    for call in (
        roles.AssignRole(pb.AssignRoleRequest(user_id=target.id, role="Admin"), metadata=bearer(token)),
        roles.CreateRole(pb.CreateRoleRequest(name="Sneaky", permissions=["audit.read"]), metadata=bearer(token)),
    ):
        error = await _fails(call)
        assert (error.code, error.reason) == (grpc.StatusCode.PERMISSION_DENIED, "PRIVILEGE_ESCALATION")
        assert error.metadata["permission"] in {"audit.read", "roles.manage", "tokens.manage", "users.create"}
    granted = await roles.AssignRole(pb.AssignRoleRequest(user_id=target.id, role="Member"), metadata=bearer(token))
    assert granted.assignment.role == "Member"


async def test_every_role_change_is_audited_with_actor_ip_and_request(roles, users, units, callers: Callers) -> None:
    user = await _user(users, callers, "audited")
    admin = (await users.GetUser(users_pb.GetUserRequest(username="admin"), metadata=callers.admin)).user
    meta = (*callers.admin, ("x-request-id", "req-roles-1"))
    await roles.CreateRole(pb.CreateRoleRequest(name="Temp", permissions=["users.read"]), metadata=meta)
    await roles.AssignRole(pb.AssignRoleRequest(user_id=user.id, role="Temp", scope="team:x"), metadata=meta)
    await roles.RevokeRole(pb.RevokeRoleRequest(user_id=user.id, role="temp", scope="team:x"), metadata=meta)
    await roles.DeleteRole(pb.DeleteRoleRequest(name="TEMP"), metadata=meta)

    rows = [r for r in await audit_rows(units) if r.request_id == "req-roles-1"]
    assert [r.event_type for r in rows] == ["ROLE_CREATED", "ROLE_ASSIGNED", "ROLE_REVOKED", "ROLE_DELETED"]
    assert {(r.actor_id, r.ip_address) for r in rows} == {(admin.id, "127.0.0.1")}
    assert rows[0].details == {"role": "Temp", "permissions": "users.read"}
    assert [r.user_id for r in rows] == [None, user.id, user.id, None]
    assert rows[1].details["scope"] == rows[2].details["scope"] == "team:x"
    assert rows[1].details["assignment_id"] == rows[2].details["assignment_id"]


async def test_refused_changes_leave_no_audit_event(roles, units, callers: Callers) -> None:
    before = await audit_rows(units)
    await _fails(roles.DeleteRole(pb.DeleteRoleRequest(name="Admin"), metadata=callers.admin))
    await _fails(roles.CreateRole(pb.CreateRoleRequest(name="Member"), metadata=callers.admin))
    assert await audit_rows(units) == before


async def test_revoking_global_admin_from_its_last_active_holder_is_refused(roles, users, callers: Callers) -> None:
    admin = (await users.GetUser(users_pb.GetUserRequest(username="admin"), metadata=callers.admin)).user
    error = await _fails(
        roles.RevokeRole(
            pb.RevokeRoleRequest(user_id=admin.id, role="Admin", scope="global"), metadata=callers.admin
        )
    )
    assert error.code == grpc.StatusCode.FAILED_PRECONDITION
    assert error.reason == "LAST_ADMIN"
    listed = await roles.ListRoleAssignments(
        pb.ListRoleAssignmentsRequest(user_id=admin.id), metadata=callers.admin
    )
    assert [(a.role, a.scope) for a in listed.assignments] == [("Admin", "global")]
