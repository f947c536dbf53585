from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
import pytest
from authtuna_api.user.v1 import user_service_pb2 as pb
from google.protobuf import timestamp_pb2

from tests.callers import Callers
from tests.rich_status import rich_error
from tests.seeding import Person, add_users
from tests.streams import messages, usernames


def _search(**fields) -> pb.SearchUsersRequest:
    return pb.SearchUsersRequest(**fields)


async def test_filters_combine_with_and(users, units, callers: Callers) -> None:
    old = datetime(2020, 1, 1, tzinfo=UTC)
    await add_users(
        units,
        [
            Person("ann-blue", email_verified=True),
            Person("bob-blue", email_verified=False),
            Person("cid-blue", email_verified=True, suspended=True),
            Person("dan-blue", email_verified=True, created_at=old),
            Person("eve-red", email_verified=True),
        ],
    )
    found = await usernames(
        users.SearchUsers(
            _search(
                identity="BLUE",
                is_active=True,
                email_verified=True,
                created_after=timestamp_pb2.Timestamp(seconds=int(old.timestamp()) + 1),
            ),
            metadata=callers.admin,
        )
    )
    assert found == ["ann-blue"]
    found = await usernames(
        users.SearchUsers(_search(identity="blue", is_active=False), metadata=callers.admin)
    )
    assert found == ["cid-blue"]
    before = timestamp_pb2.Timestamp(seconds=int((old + timedelta(days=1)).timestamp()))
    found = await usernames(users.SearchUsers(_search(created_before=before), metadata=callers.admin))
    assert found == ["dan-blue"]


async def test_identity_matches_email_or_username_case_insensitively(users, units, callers: Callers) -> None:
    await add_users(
        units,
        [Person("plain", email="Kestrel.Wing@example.com"), Person("KestrelFan", email="fan@example.com")],
    )
    found = await usernames(users.SearchUsers(_search(identity="kEsTrEl"), metadata=callers.admin))
    assert found == ["plain", "KestrelFan"]
    # NFKC: full-width letters fold to ASCII before comparing.
    found = await usernames(users.SearchUsers(_search(identity="ｋｅｓｔｒｅｌ"), metadata=callers.admin))
    assert found == ["plain", "KestrelFan"]


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("b_c", ["ab_cd"]),
        ("x%y", ["percent"]),
        ("%", ["percent"]),
        ("_", ["ab_cd"]),
        ("\\", []),
        ("\\%", []),
    ],
)
async def test_like_wildcards_in_identity_match_literally(users, units, callers: Callers, term, expected) -> None:
    await add_users(
        units,
        [
            Person("ab_cd", email="under@example.com"),
            Person("abxcd", email="plainx@example.com"),
            Person("percent", email="x%y@example.com"),
            Person("xzzy", email="xzzy@example.com"),
        ],
    )
    assert await usernames(users.SearchUsers(_search(identity=term), metadata=callers.admin)) == expected


async def test_role_is_exact_and_case_insensitive(users, units, callers: Callers) -> None:
    await add_users(units, [Person("audrey", roles=(("Auditor", "global"),)), Person("mem", roles=(("Member", "global"),))])
    assert await usernames(users.SearchUsers(_search(role="AUDITOR"), metadata=callers.admin)) == ["audrey"]
    assert await usernames(users.SearchUsers(_search(role="audit"), metadata=callers.admin)) == []
    assert await usernames(users.SearchUsers(_search(role="no-such-role"), metadata=callers.admin)) == []


async def test_role_and_scope_must_hold_in_the_same_assignment(users, units, callers: Callers) -> None:
    await add_users(
        units,
        [
            Person("split", roles=(("Auditor", "team:1"), ("Member", "team:2"))),
            Person("joined", roles=(("Auditor", "team:2"),)),
            Person("longer", roles=(("Auditor", "team:20"),)),
        ],
    )
    search = users.SearchUsers
    assert await usernames(search(_search(role="Auditor", scope="team:2"), metadata=callers.admin)) == ["joined"]
    assert await usernames(search(_search(role="Auditor", scope="team:1"), metadata=callers.admin)) == ["split"]
    assert await usernames(search(_search(scope="team:2"), metadata=callers.admin)) == ["split", "joined"]
    assert await usernames(search(_search(scope="TEAM:2"), metadata=callers.admin)) == []


async def test_batches_and_limit_bound_the_stream(users, units, callers: Callers) -> None:
    await add_users(units, [Person(f"batch{i:02d}") for i in range(10)])
    everything = await messages(users.SearchUsers(_search(identity="batch", batch_size=3), metadata=callers.admin))
    assert [len(m.users) for m in everything] == [3, 3, 3, 1]
    assert all(m.next_page_token for m in everything[:-1]) and everything[-1].next_page_token == ""
    bounded = await messages(
        users.SearchUsers(_search(identity="batch", batch_size=3, limit=7), metadata=callers.admin)
    )
    assert [len(m.users) for m in bounded] == [3, 3, 1]
    assert bounded[-1].next_page_token, "more users match, so the last message can resume"
    exact = await messages(users.SearchUsers(_search(identity="batch", limit=10), metadata=callers.admin))
    assert [len(m.users) for m in exact] == [10] and exact[-1].next_page_token == ""


async def test_page_token_resumes_exactly_where_the_stream_stopped(users, units, callers: Callers) -> None:
    await add_users(units, [Person(f"early{i}") for i in range(5)])
    call = users.SearchUsers(_search(identity="early", batch_size=2), metadata=callers.admin)
    first = await call.read()
    call.cancel()
    await add_users(units, [Person(f"early-late{i}") for i in range(3)])
    rest = await usernames(
        users.SearchUsers(_search(identity="early", page_token=first.next_page_token), metadata=callers.admin)
    )
    assert [u.username for u in first.users] == ["early0", "early1"]
    assert rest == ["early2", "early3", "early4", "early-late0", "early-late1", "early-late2"]


async def test_skip_and_limit_match_authtuna_paging(users, units, callers: Callers) -> None:
    await add_users(units, [Person(f"page{i}") for i in range(6)])
    found = await usernames(users.SearchUsers(_search(identity="page", skip=2, limit=3), metadata=callers.admin))
    assert found == ["page2", "page3", "page4"]
    found = await usernames(users.SearchUsers(_search(identity="page", skip=4, batch_size=1), metadata=callers.admin))
    assert found == ["page4", "page5"]


async def test_streamed_users_equal_get_user(users, units, callers: Callers) -> None:
    await add_users(
        units,
        [
            Person("same-one", attributes={"team": "core", "floor": "3"}, email_verified=True),
            Person("same-two", suspended=True),
            Person("same-three", service_account=True),
        ],
    )
    streamed = [
        u for m in await messages(users.SearchUsers(_search(identity="same-"), metadata=callers.admin)) for u in m.users
    ]
    assert len(streamed) == 3
    for user in streamed:
        fetched = (await users.GetUser(pb.GetUserRequest(id=user.id), metadata=callers.admin)).user
        assert user == fetched


@pytest.mark.parametrize(
    ("request_", "fields", "reason"),
    [
        (_search(skip=-1), ["skip"], "INVALID_ARGUMENT"),
        (_search(limit=-1), ["limit"], "INVALID_ARGUMENT"),
        (_search(skip=100_001), ["skip"], "INVALID_ARGUMENT"),
        (_search(batch_size=1001), ["batch_size"], "INVALID_ARGUMENT"),
        (_search(batch_size=-1), ["batch_size"], "INVALID_ARGUMENT"),
        (_search(skip=1, page_token="x"), ["skip"], "INVALID_ARGUMENT"),
        (_search(page_token="not-a-token"), ["page_token"], "INVALID_PAGE_TOKEN"),
        (_search(identity="x" * 255), ["identity"], "INVALID_ARGUMENT"),
        (_search(role="r" * 65, scope="s" * 129), ["role", "scope"], "INVALID_ARGUMENT"),
        (_search(identity="a\x00b"), ["identity"], "INVALID_ARGUMENT"),
        (
            _search(created_after=timestamp_pb2.Timestamp(seconds=0, nanos=2_000_000_000)),
            ["created_after"],
            "INVALID_ARGUMENT",
        ),
    ],
)
async def test_bad_search_requests_are_invalid_argument(users, callers: Callers, request_, fields, reason) -> None:
    call = users.SearchUsers(request_, metadata=callers.admin)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await messages(call)
    error = rich_error(caught.value)
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert error.fields == fields
    assert error.reason == reason


async def test_search_needs_users_read(users, callers: Callers) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await messages(users.SearchUsers(_search(), metadata=callers.member))
    error = rich_error(caught.value)
    assert error.code == grpc.StatusCode.PERMISSION_DENIED
    assert error.metadata == {"permission": "users.read"}
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await messages(users.SearchUsers(_search(), metadata=callers.anonymous))
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_a_batch_too_large_for_one_message_is_split(users, units, callers: Callers) -> None:
    bulky = {f"k{n:02d}": "x" * 1024 for n in range(64)}  # about 67 KB a user
    await add_users(units, [Person(f"bulky{i:02d}", attributes=bulky) for i in range(40)])
    found = await messages(users.SearchUsers(_search(identity="bulky"), metadata=callers.admin))
    assert len(found) > 1 and all(m.ByteSize() <= 2 * 1024 * 1024 for m in found)
    assert [u.username for m in found for u in m.users] == [f"bulky{i:02d}" for i in range(40)]
    resumed = await usernames(
        users.SearchUsers(_search(identity="bulky", page_token=found[0].next_page_token), metadata=callers.admin)
    )
    assert resumed == [f"bulky{i:02d}" for i in range(len(found[0].users), 40)]


async def test_role_and_scope_search_pages_through_every_holder(users, units, callers: Callers) -> None:
    people = [Person(f"holder{i}", roles=(("Auditor", "team:9"),) if i % 2 else ()) for i in range(14)]
    await add_users(units, people)
    expected = [p.username for p in people if p.roles]
    for fields in ({"role": "auditor", "scope": "team:9"}, {"scope": "team:9"}, {"role": "Auditor"}):
        found = await messages(users.SearchUsers(_search(batch_size=2, **fields), metadata=callers.admin))
        assert [u.username for m in found for u in m.users] == expected
        assert [len(m.users) for m in found] == [2, 2, 2, 1]
