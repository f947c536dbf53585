from __future__ import annotations

import grpc
import pytest
from authtuna_api.user.v1 import user_service_pb2 as pb

from tests.callers import Callers
from tests.rich_status import rich_error


async def _create(users, callers: Callers, n: int, prefix: str = "user") -> list[pb.CreateUserResponse]:
    created = []
    for i in range(n):
        created.append(
            (
                await users.CreateUser(
                    pb.CreateUserRequest(email=f"{prefix}{i}@example.com", username=f"{prefix}{i}"),
                    metadata=callers.admin,
                )
            ).user
        )
    return created


@pytest.mark.parametrize(
    "lookup",
    [
        lambda u: pb.GetUserRequest(id=u.id),
        lambda u: pb.GetUserRequest(email=u.email.upper()),
        lambda u: pb.GetUserRequest(username=u.username.upper()),
    ],
    ids=["id", "email", "username"],
)
async def test_get_user_finds_by_each_key_case_insensitively(users, callers: Callers, lookup) -> None:
    [created] = await _create(users, callers, 1, "Lookup")
    found = (await users.GetUser(lookup(created), metadata=callers.admin)).user
    assert found == created


@pytest.mark.parametrize(
    "request_",
    [
        pb.GetUserRequest(id="0190d6a0-0000-7000-8000-000000000000"),
        pb.GetUserRequest(email="nobody@example.com"),
        pb.GetUserRequest(username="nobody"),
    ],
    ids=["id", "email", "username"],
)
async def test_get_unknown_user_is_not_found(users, callers: Callers, request_) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await users.GetUser(request_, metadata=callers.admin)
    error = rich_error(caught.value)
    assert error.code == grpc.StatusCode.NOT_FOUND
    assert error.reason == "USER_NOT_FOUND"


@pytest.mark.parametrize(
    ("request_", "field"),
    [(pb.GetUserRequest(), "lookup"), (pb.GetUserRequest(id="not-a-uuid"), "id")],
)
async def test_get_user_bad_lookup_is_invalid_argument(users, callers: Callers, request_, field) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await users.GetUser(request_, metadata=callers.admin)
    error = rich_error(caught.value)
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert error.fields == [field]


async def test_list_users_pages_by_token_in_id_order(users, callers: Callers) -> None:
    created = await _create(users, callers, 7)
    seen, token = [], ""
    while True:
        page = await users.ListUsers(pb.ListUsersRequest(limit=3, page_token=token), metadata=callers.admin)
        seen.extend(page.users)
        token = page.next_page_token
        if not token:
            break
    ids = [u.id for u in seen]
    assert ids == sorted(ids)
    assert len(ids) == 9  # admin, member caller and the seven created
    assert [u.id for u in created] == ids[2:]


async def test_page_token_continues_exactly_despite_inserts(users, callers: Callers) -> None:
    await _create(users, callers, 4, "before")
    first = await users.ListUsers(pb.ListUsersRequest(limit=3), metadata=callers.admin)
    await _create(users, callers, 3, "during")
    rest, token = [], first.next_page_token
    while token:
        page = await users.ListUsers(pb.ListUsersRequest(limit=3, page_token=token), metadata=callers.admin)
        rest.extend(page.users)
        token = page.next_page_token
    all_ids = [u.id for u in first.users] + [u.id for u in rest]
    assert len(all_ids) == len(set(all_ids)) == 9
    assert all_ids == sorted(all_ids)


async def test_list_users_skip_and_limit_match_authtuna_paging(users, callers: Callers) -> None:
    await _create(users, callers, 5)
    everyone = (await users.ListUsers(pb.ListUsersRequest(), metadata=callers.admin)).users
    page = await users.ListUsers(pb.ListUsersRequest(skip=2, limit=2), metadata=callers.admin)
    assert [u.id for u in page.users] == [u.id for u in everyone[2:4]]
    assert page.next_page_token
    last = await users.ListUsers(pb.ListUsersRequest(skip=6, limit=5), metadata=callers.admin)
    assert [u.id for u in last.users] == [u.id for u in everyone[6:]]
    assert last.next_page_token == ""


@pytest.mark.parametrize(
    ("request_", "fields", "reason"),
    [
        (pb.ListUsersRequest(skip=-1), ["skip"], "INVALID_ARGUMENT"),
        (pb.ListUsersRequest(limit=-5), ["limit"], "INVALID_ARGUMENT"),
        (pb.ListUsersRequest(limit=1001), ["limit"], "INVALID_ARGUMENT"),
        (pb.ListUsersRequest(page_token="garbage!"), ["page_token"], "INVALID_PAGE_TOKEN"),
        (pb.ListUsersRequest(page_token="eyJ2IjoyfQ"), ["page_token"], "INVALID_PAGE_TOKEN"),
        (pb.ListUsersRequest(skip=1, page_token="x"), ["skip"], "INVALID_ARGUMENT"),
    ],
)
async def test_list_users_rejects_bad_paging(users, callers: Callers, request_, fields, reason) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await users.ListUsers(request_, metadata=callers.admin)
    error = rich_error(caught.value)
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert error.fields == fields
    assert error.reason == reason


async def test_member_cannot_read_users(users, callers: Callers) -> None:
    for call in (
        users.GetUser(pb.GetUserRequest(username="admin"), metadata=callers.member),
        users.ListUsers(pb.ListUsersRequest(), metadata=callers.member),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call
        assert rich_error(caught.value).metadata == {"permission": "users.read"}
