"""Hypothesis strategies that build any protobuf message from its descriptor.

Every field gets hostile values of its type: strings empty, huge, with NUL, control,
invisible and bidi characters, other scripts and look-alikes; integers at and beyond
their limits; timestamps outside any calendar; field masks naming real, protected and
made-up paths; repeated fields and maps empty, short and over their documented limits;
oneofs with none, one or several members set (the last set wins, as on the wire).
Fields whose meaning is known by name (ids, page tokens, emails, usernames, …) also get
targeted values, so generated requests reach past the first check.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from google.protobuf import message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from hypothesis import strategies as st

MAX_DEPTH = 3
INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
UINT32 = (0, 2**32 - 1)
UINT64 = (0, 2**64 - 1)
# The range google.protobuf.Timestamp allows (years 1 to 9999).
TIMESTAMP_SECONDS = (-62_135_596_800, 253_402_300_799)

ODD_TEXTS = (
    "",
    " ",
    "\x00",
    "admin\x00",
    "a\x00b",
    "\t\n\r",
    "\x1b[31m",
    "\x7f",
    " admin",
    "admin ",
    "\u200badmin",  # zero-width space
    "ad\u200dmin",  # zero-width joiner
    "\ufeffadmin",  # byte order mark
    "\u202eadmin",  # right-to-left override
    "\u2028",  # line separator
    "ａｄｍｉｎ",  # full-width
    "ADMIN",
    "admın",  # dotless i
    "İstanbul",
    "straße",
    "ﬀ",  # compatibility ligature
    "e\u0301",  # combining accent
    "\U0001f600",
    "𝐚𝐝𝐦𝐢𝐧",  # mathematical bold
    "x" * 33,
    "x" * 255,
    "x" * 1025,
    "é" * 300,
    "../../etc/passwd",
    "' OR '1'='1",
    "%s%n%x",
    "${jndi:ldap://127.0.0.1/x}",
    "\\",
    "null",
    "-1",
    "9" * 40,
)

ODD_IDS = (
    "",
    "0",
    "not-a-uuid",
    "00000000-0000-0000-0000-000000000000",
    "ffffffff-ffff-ffff-ffff-ffffffffffff",
    "{12345678-1234-5678-1234-567812345678}",
    "urn:uuid:12345678-1234-5678-1234-567812345678",
    "12345678123456781234567812345678",
    "12345678-1234-5678-1234-56781234567",
    "12345678-1234-5678-1234-5678123456789",
    "12345678-1234-5678-1234-56781234567g",
    " 12345678-1234-5678-1234-567812345678",
    "12345678-1234-5678-1234-567812345678\x00",
    "١٢٣٤٥٦٧٨-١٢٣٤-٥٦٧٨-١٢٣٤-٥٦٧٨١٢٣٤٥٦٧٨",  # Arabic-Indic digits
    "1" * 100_000,
)

PERMISSIONS = (
    "users.read",
    "users.read_basic",
    "users.create",
    "users.update",
    "users.delete",
    "roles.manage",
    "audit.read",
    "no.such.permission",
)
ROLE_NAMES = ("Admin", "admin", "UserManager", "Auditor", "Member", "SignInService", "NoSuchRole")


def huge_texts() -> st.SearchStrategy[str]:
    return st.sampled_from(("x", "é", "\x00", "\U0001f600", "a\u200b")).flatmap(
        lambda unit: st.integers(1_000, 60_000).map(lambda n: unit * n)
    )


def texts() -> st.SearchStrategy[str]:
    """Any string the wire can carry (no lone surrogates), weighted towards trouble."""
    return st.one_of(
        st.sampled_from(ODD_TEXTS),
        st.text(max_size=20),
        st.text(st.characters(codec="utf-8"), max_size=300),
        st.text(st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp", "Mn"]), max_size=10),
        huge_texts(),
    )


def ids(known: tuple[str, ...] = ()) -> st.SearchStrategy[str]:
    options = [st.uuids().map(str), st.uuids().map(lambda u: str(u).upper()), st.sampled_from(ODD_IDS)]
    if known:
        options.append(st.sampled_from(known))
    return st.one_of(*options)


def page_tokens() -> st.SearchStrategy[str]:
    def encoded(payload: object) -> str:
        raw = json.dumps(payload).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    payloads = st.one_of(
        st.builds(lambda u: {"v": 1, "after": str(u)}, st.uuids()),
        st.sampled_from(
            [{"v": 2, "after": str(uuid.uuid4())}, {"v": 1}, {"v": 1, "after": ["x"]}, [1, 2], "x", None]
        ),
        st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    )
    return st.one_of(
        payloads.map(encoded),
        st.sampled_from(("", "=", "!!!", "eyJ2IjoxfQ", "A" * 513, "ey\x00J2")),
        texts(),
    )


def emails() -> st.SearchStrategy[str]:
    locals_ = st.one_of(st.sampled_from(("a", "Admin", "ＡＤＭＩＮ", "a\u200b", " a", "a.", ".a", "x" * 65)), texts())
    domains = st.one_of(st.sampled_from(("example.com", "EXAMPLE.COM", "ｅｘａｍｐｌｅ.com", "x", "1.2")), texts())
    return st.one_of(st.builds(lambda lo, d: f"{lo}@{d}", locals_, domains), texts())


def usernames() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(("admin", "ADMIN", "ａｄｍｉｎ", "ad", "a@b.co", "admin\u200b", "-admin", "x" * 33)),
        st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{2,31}", fullmatch=True),
        texts(),
    )


def timestamps_fields() -> dict[str, st.SearchStrategy[int]]:
    return {
        "seconds": st.one_of(
            st.integers(*TIMESTAMP_SECONDS),
            st.integers(*INT64),
            st.sampled_from((INT64[0], INT64[1], TIMESTAMP_SECONDS[0] - 1, TIMESTAMP_SECONDS[1] + 1, 0, -1)),
        ),
        "nanos": st.one_of(st.integers(0, 999_999_999), st.integers(*INT32)),
    }


def _named_strings(known_ids: tuple[str, ...]) -> dict[str, Callable[[], st.SearchStrategy[str]]]:
    """Targeted values for string fields, by field name."""
    return {
        "id": lambda: ids(known_ids),
        "page_token": page_tokens,
        "email": emails,
        "username": usernames,
        "identity": lambda: st.one_of(emails(), usernames()),
        "etag": lambda: st.sampled_from(("v1", "v2", "v0", "v-1", "V1", "v01", "v2147483648", "v9999999999", "1")),
        "scope": lambda: st.sampled_from(("global", "GLOBAL", "project:web", "project:", ":x", "p" * 129)),
        "role": lambda: st.sampled_from(ROLE_NAMES),
        "name": lambda: st.sampled_from(ROLE_NAMES),
        "permissions": lambda: st.sampled_from(PERMISSIONS),
        "ip_address": lambda: st.sampled_from(
            ("127.0.0.1", "::1", "0:0::1", "256.0.0.1", "1.2.3", "fe80::1%eth0", "fe80::1%" + "z" * 300, "::1%\x00")
        ),
        "password": lambda: st.sampled_from(("Correct-Horse-9", "short", "x" * 1025, "Pass\x00word-9")),
        "session_token": lambda: st.sampled_from(("ses_", "ses_" + "A" * 43, "atk_x", "s" * 513)),
    }


class MessageStrategies:
    """Strategies for the messages of one descriptor pool, with targeted values."""

    def __init__(self, known_ids: tuple[str, ...] = ()) -> None:
        self._named = _named_strings(known_ids)

    def message(self, descriptor: Descriptor, depth: int = 0) -> st.SearchStrategy[Message]:
        cls = message_factory.GetMessageClass(descriptor)
        if descriptor.full_name == "google.protobuf.FieldMask":
            return st.builds(lambda paths: cls(paths=paths), st.lists(self._mask_paths(), max_size=6))
        if descriptor.full_name == "google.protobuf.Timestamp":
            return st.fixed_dictionaries(timestamps_fields()).map(lambda values: cls(**values))
        optional = {
            field.name: self._field(field, depth)
            for field in descriptor.fields
            if field.message_type is None or depth < MAX_DEPTH
        }
        return st.fixed_dictionaries({}, optional=optional).map(lambda values: _build(cls, values))

    def _mask_paths(self) -> st.SearchStrategy[str]:
        known = ("username", "email", "email_verified", "attributes", "last_login_at", "id", "etag",
                 "is_active", "password", "created_at", "attributes.team", "user.email", "")
        return st.one_of(st.sampled_from(known), texts())

    def _field(self, field: FieldDescriptor, depth: int) -> st.SearchStrategy[Any]:
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            key, value = field.message_type.fields_by_name["key"], field.message_type.fields_by_name["value"]
            return st.one_of(
                st.dictionaries(self._single(key, depth), self._single(value, depth), max_size=5),
                # Over the documented limits, with short values so the message stays small.
                st.dictionaries(
                    self._single(key, depth, short=True),
                    self._single(value, depth, short=True),
                    min_size=65,
                    max_size=80,
                ),
            )
        single = self._single(field, depth)
        if field.is_repeated:
            many = st.lists(self._single(field, depth, short=True), min_size=100, max_size=300)
            return st.one_of(st.lists(single, max_size=5), many)
        return single

    def _single(self, field: FieldDescriptor, depth: int, short: bool = False) -> st.SearchStrategy[Any]:
        kind = field.type
        if kind == FieldDescriptor.TYPE_MESSAGE:
            return self.message(field.message_type, MAX_DEPTH if short else depth + 1)
        if kind == FieldDescriptor.TYPE_STRING:
            named = self._named.get(field.name) or (self._named["id"] if field.name.endswith("_id") else None)
            text = st.text(max_size=12) if short else texts()
            return st.one_of(named(), text) if named else text
        if kind == FieldDescriptor.TYPE_BYTES:
            return st.binary(max_size=64)
        if kind == FieldDescriptor.TYPE_BOOL:
            return st.booleans()
        if kind == FieldDescriptor.TYPE_ENUM:
            values = [v.number for v in field.enum_type.values]
            return st.one_of(st.sampled_from(values), st.integers(*INT32))
        if kind in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
            return st.floats(allow_nan=True, allow_infinity=True, width=32 if kind == FieldDescriptor.TYPE_FLOAT else 64)
        return _integers(kind)


def _integers(kind: int) -> st.SearchStrategy[int]:
    bounds = {
        FieldDescriptor.TYPE_INT32: INT32,
        FieldDescriptor.TYPE_SINT32: INT32,
        FieldDescriptor.TYPE_SFIXED32: INT32,
        FieldDescriptor.TYPE_UINT32: UINT32,
        FieldDescriptor.TYPE_FIXED32: UINT32,
        FieldDescriptor.TYPE_UINT64: UINT64,
        FieldDescriptor.TYPE_FIXED64: UINT64,
    }.get(kind, INT64)
    low, high = bounds
    return st.one_of(st.integers(low, high), st.sampled_from((low, high, 0, -1 if low < 0 else 1, 1, 100, 1001)))


def _build(cls: type[Message], values: Mapping[str, Any]) -> Message:
    message = cls()
    for name, value in values.items():
        field = cls.DESCRIPTOR.fields_by_name[name]
        target = getattr(message, name)
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            for key, item in value.items():
                if isinstance(item, Message):
                    target[key].CopyFrom(item)
                else:
                    target[key] = item
        elif field.is_repeated:
            target.extend(value)
        elif isinstance(value, Message):
            target.CopyFrom(value)
        else:
            setattr(message, name, value)
    return message
