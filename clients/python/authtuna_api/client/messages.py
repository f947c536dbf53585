"""Requests from keyword arguments and items out of responses, for both clients."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from authtuna_api.user.v1 import user_pb2, user_service_pb2 as users_pb


def create_user(
    *,
    email: str,
    username: str,
    password: str | None,
    attributes: Mapping[str, str] | None,
    email_verified: bool,
) -> users_pb.CreateUserRequest:
    request = users_pb.CreateUserRequest(
        email=email, username=username, attributes=dict(attributes or {}), email_verified=email_verified
    )
    if password is not None:
        request.password = password
    return request


def get_user(*, id: str | None, email: str | None, username: str | None) -> users_pb.GetUserRequest:
    given = {name: value for name, value in (("id", id), ("email", email), ("username", username)) if value is not None}
    if len(given) != 1:
        raise TypeError("get_user() takes exactly one of id=, email= or username=")
    return users_pb.GetUserRequest(**given)


def list_users(*, limit: int, skip: int, page_token: str) -> users_pb.ListUsersRequest:
    return users_pb.ListUsersRequest(limit=limit, skip=skip, page_token=page_token)


def users_of(response: Any) -> Iterable[user_pb2.User]:
    """The users of a page or of a streamed batch (`repeated User users`)."""
    return response.users  # type: ignore[no-any-return]
