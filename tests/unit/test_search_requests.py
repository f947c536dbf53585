from __future__ import annotations

import pytest

from authtuna_grpc.domain.errors import InvalidInput
from authtuna_grpc.domain.paging import encode_page_token
from authtuna_grpc.domain.search import (
    BASIC_SEARCH_MAX_LIMIT,
    MAX_BATCH_SIZE,
    UserFilter,
    basic_user_search,
    user_search,
)
from authtuna_grpc.services.clock import new_id
from authtuna_grpc.storage.user_search import contains_pattern


def test_search_folds_text_filters_and_defaults_its_window() -> None:
    search = user_search(
        UserFilter(identity="ÄBC", role="Admin", scope="Team:1"), skip=0, limit=0, page_token="", batch_size=0
    )
    assert (search.filter.identity, search.filter.role, search.filter.scope) == ("äbc", "admin", "Team:1")
    assert (search.window.limit, search.window.batch_size, search.window.after) == (None, MAX_BATCH_SIZE, None)


def test_search_resumes_after_the_token_user() -> None:
    user_id = new_id()
    search = user_search(UserFilter(), skip=0, limit=5, page_token=encode_page_token(user_id), batch_size=2)
    assert (search.window.after, search.window.limit, search.window.batch_size) == (user_id, 5, 2)


def test_search_names_every_bad_field_at_once() -> None:
    with pytest.raises(InvalidInput) as caught:
        user_search(UserFilter(identity="x" * 300), skip=-1, limit=-1, page_token="", batch_size=2000)
    assert [v.field for v in caught.value.violations] == ["identity", "limit", "skip", "batch_size"]


def test_basic_search_is_for_active_people_and_capped() -> None:
    search = basic_user_search(username="Rob", skip=0, limit=0, page_token="")
    assert search.filter.username == "rob"
    assert (search.filter.is_active, search.filter.is_service_account, search.filter.identity) == (True, False, None)
    assert search.window.limit == search.window.batch_size == BASIC_SEARCH_MAX_LIMIT


@pytest.mark.parametrize(
    ("key", "pattern"),
    [("abc", "%abc%"), ("a%b", "%a\\%b%"), ("a_b", "%a\\_b%"), ("a\\b", "%a\\\\b%"), ("%_\\", "%\\%\\_\\\\%")],
)
def test_contains_pattern_escapes_every_wildcard(key, pattern) -> None:
    assert contains_pattern(key) == pattern
