"""Bounds that keep any answer to hostile input small enough for a client to read."""

from __future__ import annotations

from authtuna_grpc.domain.errors import MAX_VIOLATIONS, FieldViolation, InvalidInput
from authtuna_grpc.domain.roles import ROLE_PERMISSIONS_MAX, new_role
from authtuna_grpc.domain.user_updates import MASK_PATHS_MAX, mask_problems


def test_invalid_input_reports_at_most_ten_violations_and_says_how_many_more() -> None:
    error = InvalidInput.of([FieldViolation(f"permissions[{i}]", "bad") for i in range(1000)])
    assert len(error.violations) == MAX_VIOLATIONS == 10
    assert error.message.endswith("; and 990 more")
    assert len(error.message) < 500


def test_a_role_with_too_many_permissions_is_refused_as_a_whole() -> None:
    try:
        new_role(name="Many", description="", permissions=["users.read"] * (ROLE_PERMISSIONS_MAX + 1))
    except InvalidInput as error:
        assert [v.field for v in error.violations] == ["permissions"]
    else:
        raise AssertionError("accepted")


def test_a_mask_with_too_many_paths_is_refused_as_a_whole() -> None:
    problems = mask_problems(["email"] * (MASK_PATHS_MAX + 1))
    assert [p.field for p in problems] == ["update_mask.paths"]
