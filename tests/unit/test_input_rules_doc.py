"""docs/errors.md states a rule for every field of every request of every served service."""

from __future__ import annotations

import re
from pathlib import Path

from google.protobuf import descriptor_pool

from authtuna_grpc.server import SERVICE_NAMES

DOC = Path(__file__).parents[2] / "docs" / "errors.md"
_NAMES = re.compile(r"`([A-Za-z_][A-Za-z0-9_]*)`")


def _documented() -> set[tuple[str, str]]:
    """(RPC, field) pairs of the input-rules table."""
    section = DOC.read_text().split("## Input rules and size limits", 1)[1]
    pairs = set()
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0].startswith("`"):
            for rpc in _NAMES.findall(cells[0]):
                pairs.update((rpc, field) for field in _NAMES.findall(cells[1]))
    return pairs


def test_every_request_field_of_every_served_rpc_has_a_documented_rule() -> None:
    pool = descriptor_pool.Default()
    fields = {
        (method.name, field.name)
        for service in SERVICE_NAMES
        for method in pool.FindServiceByName(service).methods
        for field in method.input_type.fields
    }
    assert len(fields) > 40
    assert sorted(fields - _documented()) == []
