"""What each setting is, for people: the flag help and docs/configuration.md come from here."""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import SecretStr
from pydantic.fields import FieldInfo

from authtuna_grpc.config import Settings, env_name

SEQUENCE_TYPES = (list, tuple, set, frozenset)
BEGIN, END = "<!-- settings:begin -->", "<!-- settings:end -->"


def unwrap(annotation: Any) -> Any:
    """`X | None` → X."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        kinds = [a for a in typing.get_args(annotation) if a is not type(None)]
        return kinds[0] if len(kinds) == 1 else annotation
    return annotation


def is_secret(field: FieldInfo) -> bool:
    return unwrap(field.annotation) is SecretStr


def is_sequence(field: FieldInfo) -> bool:
    return typing.get_origin(unwrap(field.annotation)) in SEQUENCE_TYPES


def flag_name(name: str) -> str:
    return "--" + name.replace("_", "-")


def default_text(field: FieldInfo) -> str:
    default = field.get_default(call_default_factory=True)
    if default is None or default == "":
        return "unset"
    if isinstance(default, bool):
        return "on" if default else "off"
    if isinstance(default, SEQUENCE_TYPES):
        return ",".join(str(item) for item in default) or "empty"
    return str(default)


def markdown_table() -> str:
    """One row per setting, in the order Settings declares them."""
    rows = [
        "| variable | flag | default | meaning |",
        "|---|---|---|---|",
    ]
    for name, field in Settings.model_fields.items():
        flag = "(none: a secret)" if is_secret(field) else f"`{flag_name(name)}`"
        description = (field.description or "").replace("|", "\\|")
        rows.append(f"| `{env_name(name)}` | {flag} | `{default_text(field)}` | {description} |")
    return "\n".join(rows)


def with_table(page: str) -> str:
    """`page` with the text between the markers replaced by the current table."""
    head, _, rest = page.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{markdown_table()}\n{END}{tail}"
