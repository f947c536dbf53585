"""No account can pass for another: look-alike names, hidden characters, names as emails.

The rule (domain/user.py, docs/errors.md): emails and usernames are put in Unicode NFKC
form and must then be plain ASCII of the allowed characters; uniqueness and lookups use
the case-folded form. So case, full-width, ligature, mathematical, circled, superscript
and Kelvin-sign spellings of a name are the same name; whitespace and invisible or
bidi-control characters are refused, never stripped; and since every email holds an
'@' and no username can, no username can equal any email.
"""

from __future__ import annotations

import unicodedata

import grpc
import pytest
from authtuna_api.user.v1 import user_pb2
from authtuna_api.user.v1 import user_service_pb2 as pb
from google.protobuf import field_mask_pb2
from hypothesis import given, settings
from hypothesis import strategies as st

from authtuna_grpc.domain.user import email_problem, identity_key, username_problem
from tests.accounts import create_user
from tests.callers import Callers
from tests.rich_status import rich_error

# Spellings of "fine-1" / "kelvin-1" / "alice-1" that NFKC folds to it.
SAME_USERNAMES = {
    "case": ("alice-1", "ALICE-1"),
    "full-width": ("alice-1", "ａｌｉｃｅ-１"),
    "mixed width and case": ("alice-1", "Ａlice-１"),
    "ligature": ("fine-1", "ﬁne-1"),
    "mathematical bold": ("fine-1", "𝐟𝐢𝐧𝐞-1"),
    "circled letter": ("fine-1", "ⓕine-1"),
    "superscript digit": ("fine-1", "fine-¹"),
    "Kelvin sign": ("kelvin-1", "\u212aelvin-1"),
}
SAME_EMAILS = {
    "case": ("alice@example.com", "ALICE@EXAMPLE.COM"),
    "full-width": ("alice@example.com", "ａｌｉｃｅ@ｅｘａｍｐｌｅ.ｃｏｍ"),
    "full-width at sign": ("alice@example.com", "alice＠example.com"),
    "ligature": ("office@example.com", "oﬃce@example.com"),
}
HIDDEN = {
    "leading space": " {}",
    "trailing space": "{} ",
    "inner space": "{}x y",
    "no-break space": "{}\u00a0",
    "tab": "{}\t",
    "newline": "{}\n",
    "NUL": "{}\x00",
    "zero-width space": "\u200b{}",
    "zero-width joiner": "{}\u200d",
    "zero-width non-joiner": "{}\u200c",
    "word joiner": "{}\u2060",
    "byte order mark": "\ufeff{}",
    "right-to-left override": "\u202e{}",
    "left-to-right mark": "{}\u200e",
    "soft hyphen": "{}\u00ad",
    "combining accent": "{}\u0301",
    "Cyrillic a": "{}\u0430",
}


def _code_and_reason(error: grpc.aio.AioRpcError) -> tuple[grpc.StatusCode, str]:
    return error.code(), rich_error(error).reason


@pytest.mark.parametrize("first, second", SAME_USERNAMES.values(), ids=SAME_USERNAMES)
async def test_usernames_differing_by_case_width_or_compatibility_form_cannot_coexist(
    users, callers: Callers, first: str, second: str
) -> None:
    await users.CreateUser(pb.CreateUserRequest(email="one@example.com", username=first), metadata=callers.admin)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await users.CreateUser(pb.CreateUserRequest(email="two@example.com", username=second), metadata=callers.admin)
    assert _code_and_reason(caught.value) == (grpc.StatusCode.ALREADY_EXISTS, "USERNAME_ALREADY_TAKEN")
    found = await users.GetUser(pb.GetUserRequest(username=second), metadata=callers.admin)
    assert found.user.username == first


@pytest.mark.parametrize("first, second", SAME_EMAILS.values(), ids=SAME_EMAILS)
async def test_emails_differing_by_case_width_or_compatibility_form_cannot_coexist(
    users, callers: Callers, first: str, second: str
) -> None:
    await users.CreateUser(pb.CreateUserRequest(email=first, username="first-one"), metadata=callers.admin)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await users.CreateUser(pb.CreateUserRequest(email=second, username="second-one"), metadata=callers.admin)
    assert _code_and_reason(caught.value) == (grpc.StatusCode.ALREADY_EXISTS, "EMAIL_ALREADY_REGISTERED")
    found = await users.GetUser(pb.GetUserRequest(email=second), metadata=callers.admin)
    assert found.user.email == first


def _update(user: user_pb2.User, **fields: str) -> pb.UpdateUserRequest:
    return pb.UpdateUserRequest(
        id=user.id,
        etag=user.etag,
        user=user_pb2.User(**fields),
        update_mask=field_mask_pb2.FieldMask(paths=list(fields)),
    )


async def test_update_cannot_take_a_look_alike_of_another_accounts_name_or_email(users, callers: Callers) -> None:
    await create_user(users, callers.admin, "kelvin-1")
    other = await create_user(users, callers.admin, "someone-else")
    for fields, reason in (
        ({"username": "\u212aELVIN-1"}, "USERNAME_ALREADY_TAKEN"),
        ({"username": "ｋｅｌｖｉｎ-1"}, "USERNAME_ALREADY_TAKEN"),
        ({"email": "ＫＥＬＶＩＮ-1@example.com"}, "EMAIL_ALREADY_REGISTERED"),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await users.UpdateUser(_update(other, **fields), metadata=callers.admin)
        assert _code_and_reason(caught.value) == (grpc.StatusCode.ALREADY_EXISTS, reason), fields


@pytest.mark.parametrize("pattern", HIDDEN.values(), ids=HIDDEN)
async def test_whitespace_and_invisible_characters_are_refused_not_stripped(
    users, callers: Callers, pattern: str
) -> None:
    username, email = pattern.format("hidden-1"), pattern.format("hidden") + "@example.com"
    for request, field in (
        (pb.CreateUserRequest(email="plain@example.com", username=username), "username"),
        (pb.CreateUserRequest(email=email, username="plain-1"), "email"),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await users.CreateUser(request, metadata=callers.admin)
        error = rich_error(caught.value)
        assert (error.code, error.fields) == (grpc.StatusCode.INVALID_ARGUMENT, [field])
    existing = await create_user(users, callers.admin, "visible-1")
    for fields in ({"username": username}, {"email": email}):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await users.UpdateUser(_update(existing, **fields), metadata=callers.admin)
        error = rich_error(caught.value)
        assert (error.code, error.fields) == (grpc.StatusCode.INVALID_ARGUMENT, [f"user.{next(iter(fields))}"])


@pytest.mark.parametrize("username", ["bob@example.com", "bob＠example.com", "bob﹫example.com", "@bob"])
async def test_a_username_that_looks_like_an_email_is_refused_on_create_and_update(
    users, callers: Callers, username: str
) -> None:
    bob = await create_user(users, callers.admin, "bob")
    with pytest.raises(grpc.aio.AioRpcError) as created:
        await users.CreateUser(pb.CreateUserRequest(email="eve@example.com", username=username), metadata=callers.admin)
    with pytest.raises(grpc.aio.AioRpcError) as updated:
        await users.UpdateUser(_update(bob, username=username), metadata=callers.admin)
    assert rich_error(created.value).fields == ["username"]
    assert rich_error(updated.value).fields == ["user.username"]


@settings(max_examples=300, derandomize=True, database=None)
@given(st.text(st.sampled_from("aZ0.-_@＠﹫ｂ\u212a\u200b "), max_size=12), st.text(max_size=40))
def test_no_valid_username_can_equal_any_valid_email(candidate: str, anything: str) -> None:
    """The proof, over generated strings: a username that passes its rules has no '@' in
    its key, an email that passes its rules has one, so no key is both."""
    for value in (candidate, anything, f"{candidate}@example.com", f"{anything}@example.com"):
        normal = unicodedata.normalize("NFKC", value)
        if username_problem(normal) is None:
            assert "@" not in identity_key(value)
        if email_problem(normal) is None:
            assert "@" in identity_key(value)
