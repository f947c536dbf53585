from __future__ import annotations

from pathlib import Path

import grpc

from authtuna_grpc.api.errors import STATUS_CODES, internal_status, to_status
from authtuna_grpc.domain import errors


def _all_subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found.add(sub)
        found |= _all_subclasses(sub)
    return found


def test_every_domain_error_has_a_status_code() -> None:
    missing = _all_subclasses(errors.DomainError) - set(STATUS_CODES)
    assert not missing, f"domain errors without a gRPC status: {sorted(c.__name__ for c in missing)}"


def test_reasons_are_unique_and_upper_snake_case() -> None:
    reasons = [cls.reason for cls in STATUS_CODES]
    assert len(reasons) == len(set(reasons))
    assert all(r.replace("_", "").isalpha() and r.isupper() for r in reasons)


def test_invalid_input_never_maps_to_internal() -> None:
    for cls, code in STATUS_CODES.items():
        assert code not in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN), cls


def test_status_carries_error_info_and_field_violations() -> None:
    status = to_status(errors.InvalidInput.field("email", "is required"))
    assert status.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert "email" in status.message
    assert len(status.details) == 2


def test_internal_status_says_nothing_specific() -> None:
    status = internal_status()
    assert status.code == grpc.StatusCode.INTERNAL.value[0]
    assert "see the server log" in status.message


def test_every_reason_is_documented_with_its_code() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "errors.md").read_text()
    rows = {
        cells[1].strip("` "): cells[2].strip()
        for line in docs.splitlines()
        if line.startswith("| `") and len(cells := line.split("|")) > 3
    }
    for cls, code in STATUS_CODES.items():
        assert rows.get(cls.reason) == code.name, f"docs/errors.md: {cls.reason} should say {code.name}"
