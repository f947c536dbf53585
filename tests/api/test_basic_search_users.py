from __future__ import annotations

import grpc
import pytest
from authtuna_api.user.v1 import user_service_pb2 as pb

from tests.callers import Callers
from tests.rich_status import rich_error
from tests.seeding import Person, add_users
from tests.streams import messages, usernames


async def test_basic_search_returns_only_id_and_username(users, units, callers: Callers) -> None:
    [created] = await add_users(units, [Person("robin-hood", email="robin@sherwood.example", email_verified=True)])
    [message] = await messages(users.BasicSearchUsers(pb.BasicSearchUsersRequest(username="ROBIN"), metadata=callers.member))
    [found] = message.users
    assert (found.user_id, found.username) == (str(created.id), "robin-hood")
    assert {field.name for field, _ in found.ListFields()} == {"user_id", "username"}
    assert "sherwood" not in str(message)


async def test_basic_search_never_matches_emails(users, units, callers: Callers) -> None:
    await add_users(units, [Person("quiet", email="secret-agent@example.com")])
    found = await usernames(users.BasicSearchUsers(pb.BasicSearchUsersRequest(username="secret"), metadata=callers.member))
    assert found == []


async def test_basic_search_lists_no_service_accounts_and_no_suspended_users(users, units, callers: Callers) -> None:
    await add_users(
        units,
        [Person("svc-robot", service_account=True), Person("svc-gone", suspended=True), Person("svc-person")],
    )
    found = await usernames(users.BasicSearchUsers(pb.BasicSearchUsersRequest(username="svc-"), metadata=callers.member))
    assert found == ["svc-person"]
    # The bootstrap admin is a service account too.
    found = await usernames(users.BasicSearchUsers(pb.BasicSearchUsersRequest(username="admin"), metadata=callers.member))
    assert found == []


async def test_basic_search_wildcards_match_literally(users, units, callers: Callers) -> None:
    await add_users(units, [Person("under_score"), Person("underxscore")])
    found = await usernames(users.BasicSearchUsers(pb.BasicSearchUsersRequest(username="r_s"), metadata=callers.member))
    assert found == ["under_score"]


async def test_basic_search_caps_and_pages(users, units, callers: Callers) -> None:
    await add_users(units, [Person(f"many{i:03d}") for i in range(120)])
    first = await messages(users.BasicSearchUsers(pb.BasicSearchUsersRequest(username="many"), metadata=callers.member))
    assert sum(len(m.users) for m in first) == 100
    token = first[-1].next_page_token
    rest = await usernames(
        users.BasicSearchUsers(pb.BasicSearchUsersRequest(username="many", page_token=token), metadata=callers.member)
    )
    assert rest == [f"many{i:03d}" for i in range(100, 120)]
    skipped = await usernames(
        users.BasicSearchUsers(pb.BasicSearchUsersRequest(username="many", skip=5, limit=2), metadata=callers.member)
    )
    assert skipped == ["many005", "many006"]


@pytest.mark.parametrize(
    ("request_", "fields"),
    [
        (pb.BasicSearchUsersRequest(username="ab"), ["username"]),
        (pb.BasicSearchUsersRequest(username=""), ["username"]),
        (pb.BasicSearchUsersRequest(username="x" * 33), ["username"]),
        (pb.BasicSearchUsersRequest(username="abc", limit=101), ["limit"]),
        (pb.BasicSearchUsersRequest(username="abc", limit=-1), ["limit"]),
        (pb.BasicSearchUsersRequest(username="abc", skip=-1), ["skip"]),
        (pb.BasicSearchUsersRequest(username="ab", skip=-1), ["username", "skip"]),
    ],
)
async def test_bad_basic_search_is_invalid_argument(users, callers: Callers, request_, fields) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await messages(users.BasicSearchUsers(request_, metadata=callers.member))
    error = rich_error(caught.value)
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert error.fields == fields


async def test_basic_search_needs_a_token(users) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await messages(users.BasicSearchUsers(pb.BasicSearchUsersRequest(username="abc")))
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
