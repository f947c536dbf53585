"""Serialized requests a well-behaved client cannot send: invalid UTF-8 in string fields.

proto3 requires string fields to hold UTF-8, and the protobuf library refuses to build
anything else, so these are written at the wire level: a tag, a length, the bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from google.protobuf.descriptor import Descriptor, FieldDescriptor

LENGTH_DELIMITED = 2
INVALID_UTF8 = (
    b"\xff",
    b"ok\xc3\x28",  # a broken two-byte sequence
    b"\xed\xa0\x80",  # an encoded surrogate
    b"\xf4\x90\x80\x80",  # beyond U+10FFFF
    b"\xc0\xaf",  # an overlong '/'
)
MAX_DEPTH = 2

_Encoder = Callable[[bytes], bytes]


def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def length_delimited(number: int, payload: bytes) -> bytes:
    return varint(number << 3 | LENGTH_DELIMITED) + varint(len(payload)) + payload


def invalid_utf8_requests(descriptor: Descriptor, payload: bytes) -> Iterator[tuple[str, bytes]]:
    """(field path, request bytes) with `payload` in each string field reachable from
    `descriptor`: plain, repeated, map keys and values, and in nested messages."""
    for path, encode in _string_fields(descriptor, 0):
        yield path, encode(payload)


def _string_fields(descriptor: Descriptor, depth: int) -> Iterator[tuple[str, _Encoder]]:
    for field in descriptor.fields:
        if field.type == FieldDescriptor.TYPE_STRING:
            yield _leaf(field), _wrap(field.number, _identity)
        elif field.type == FieldDescriptor.TYPE_MESSAGE and depth < MAX_DEPTH:
            entry = field.message_type
            if entry.GetOptions().map_entry:
                for part in ("key", "value"):
                    inner = entry.fields_by_name[part]
                    if inner.type == FieldDescriptor.TYPE_STRING:
                        yield field.name, _wrap(field.number, _wrap(inner.number, _identity))
                continue
            for path, encode in _string_fields(entry, depth + 1):
                prefix = f"{field.name}[0]" if field.is_repeated else field.name
                yield f"{prefix}.{path}", _wrap(field.number, encode)


def _leaf(field: FieldDescriptor) -> str:
    return f"{field.name}[0]" if field.is_repeated else field.name


def _identity(payload: bytes) -> bytes:
    return payload


def _wrap(number: int, inner: _Encoder) -> _Encoder:
    return lambda payload: length_delimited(number, inner(payload))
