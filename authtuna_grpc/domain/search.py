"""What a user search asks for, validated: filters, position and bounds of the stream."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from authtuna_grpc.domain.errors import FieldViolation, InvalidInput
from authtuna_grpc.domain.paging import decode_page_token
from authtuna_grpc.domain.user import EMAIL_MAX_LENGTH, USERNAME_MAX_LENGTH, identity_key

MAX_SEARCH_SKIP = 100_000
MAX_BATCH_SIZE = 1000
ROLE_NAME_MAX_LENGTH = 64
SCOPE_MAX_LENGTH = 128
BASIC_SEARCH_MIN_LENGTH = 3
BASIC_SEARCH_MAX_LIMIT = 100


@dataclass(frozen=True)
class UserFilter:
    """Every set filter must match. Text filters hold case-folded keys."""

    identity: str | None = None
    username: str | None = None
    role: str | None = None
    scope: str | None = None
    is_active: bool | None = None
    email_verified: bool | None = None
    is_service_account: bool | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


# A user as the search stream carries it: a plain tuple in this field order, because a
# stream of a million users cannot afford an object per user (see docs/benchmarks.md).
# Times are whole microseconds since the Unix epoch; attributes are JSON text.
UserRecord = tuple[
    str,  # id
    str,  # email
    str,  # username
    bool,  # has_password
    bool,  # is_active
    bool,  # email_verified
    bool,  # is_service_account
    str,  # attributes, as a JSON object
    int,  # created_at
    int,  # updated_at
    int | None,  # last_login_at
    int | None,  # suspended_at
    str | None,  # suspension_reason
    int,  # version
]


@dataclass(frozen=True)
class BasicUser:
    """What anyone signed in may see of another user."""

    id: uuid.UUID
    username: str


@dataclass(frozen=True)
class StreamWindow:
    """Where a stream starts (after an id, or skipping some), how far, in what batches."""

    after: uuid.UUID | None
    skip: int
    limit: int | None
    batch_size: int


@dataclass(frozen=True)
class UserSearch:
    filter: UserFilter
    window: StreamWindow


def _text_problem(value: str, field: str, maximum: int) -> FieldViolation | None:
    if len(value) > maximum:
        return FieldViolation(field, f"must be at most {maximum} characters")
    if "\x00" in value:
        return FieldViolation(field, "must not contain NUL characters")
    return None


def _window(
    violations: list[FieldViolation], *, skip: int, page_token: str, batch_size: int
) -> tuple[uuid.UUID | None, int]:
    if skip < 0:
        violations.append(FieldViolation("skip", "must not be negative"))
    elif skip > MAX_SEARCH_SKIP:
        violations.append(FieldViolation("skip", f"must be at most {MAX_SEARCH_SKIP}; use page_token"))
    if skip and page_token:
        violations.append(FieldViolation("skip", "cannot be combined with page_token"))
    if not 0 <= batch_size <= MAX_BATCH_SIZE:
        violations.append(FieldViolation("batch_size", f"must be between 0 and {MAX_BATCH_SIZE}"))
    if violations:
        raise InvalidInput.of(violations)
    after = decode_page_token(page_token) if page_token else None
    return after, batch_size or MAX_BATCH_SIZE


def user_search(
    user_filter: UserFilter, *, skip: int, limit: int, page_token: str, batch_size: int
) -> UserSearch:
    """Validate a SearchUsers request; raise InvalidInput naming every bad field.

    `user_filter` carries the text filters as given; they are case-folded here.
    """
    violations = [
        problem
        for value, field, maximum in (
            (user_filter.identity, "identity", EMAIL_MAX_LENGTH),
            (user_filter.role, "role", ROLE_NAME_MAX_LENGTH),
            (user_filter.scope, "scope", SCOPE_MAX_LENGTH),
        )
        if value and (problem := _text_problem(value, field, maximum))
    ]
    if limit < 0:
        violations.append(FieldViolation("limit", "must not be negative; 0 means no limit"))
    after, batch = _window(violations, skip=skip, page_token=page_token, batch_size=batch_size)
    folded = UserFilter(
        identity=identity_key(user_filter.identity) if user_filter.identity else None,
        role=user_filter.role.casefold() if user_filter.role else None,
        scope=user_filter.scope or None,
        is_active=user_filter.is_active,
        email_verified=user_filter.email_verified,
        created_after=user_filter.created_after,
        created_before=user_filter.created_before,
    )
    return UserSearch(folded, StreamWindow(after, skip, limit or None, batch))


def basic_user_search(*, username: str, skip: int, limit: int, page_token: str) -> UserSearch:
    """Validate a BasicSearchUsers request: usernames of active people only, capped."""
    key = identity_key(username)
    violations = []
    if len(key) < BASIC_SEARCH_MIN_LENGTH:
        violations.append(
            FieldViolation("username", f"must be at least {BASIC_SEARCH_MIN_LENGTH} characters")
        )
    elif problem := _text_problem(key, "username", USERNAME_MAX_LENGTH):
        violations.append(problem)
    if not 0 <= limit <= BASIC_SEARCH_MAX_LIMIT:
        violations.append(FieldViolation("limit", f"must be between 0 and {BASIC_SEARCH_MAX_LIMIT}"))
    after, _ = _window(violations, skip=skip, page_token=page_token, batch_size=0)
    people = UserFilter(username=key, is_active=True, is_service_account=False)
    bound = limit or BASIC_SEARCH_MAX_LIMIT
    return UserSearch(people, StreamWindow(after, skip, bound, bound))
