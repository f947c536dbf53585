"""Requests that are not valid protobuf, refused as invalid input rather than crashing.

grpcio answers UNKNOWN when a request deserializer raises, before any interceptor sees
the call. The edge interceptor therefore decodes tolerantly: a request that does not
parse (most often a raw client's invalid UTF-8 in a proto3 string field) becomes an
`UndecodableRequest`, which the interceptor turns into INVALID_ARGUMENT — after
authentication, like every other validation — naming the damaged field when the wire
format shows which one it is.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from google.protobuf import descriptor_pool
from google.protobuf.descriptor import Descriptor, FieldDescriptor

from authtuna_grpc.domain.errors import FieldViolation, InvalidInput

_VARINT, _FIXED64, _LENGTH_DELIMITED, _FIXED32 = 0, 1, 2, 5
_FIXED_SIZES = {_FIXED64: 8, _FIXED32: 4}


@dataclass(frozen=True)
class UndecodableRequest:
    """Stands in for a request whose bytes did not parse."""

    violations: tuple[FieldViolation, ...]


class _Malformed(Exception):
    def __init__(self, field: str | None) -> None:
        super().__init__(field)
        self.field = field


Deserializer = Callable[[bytes], Any]


def tolerant(deserializer: Deserializer | None, method: str) -> Deserializer | None:
    """`deserializer`, returning an UndecodableRequest where it would raise."""
    if deserializer is None:
        return None
    parse = deserializer

    def deserialize(data: bytes) -> Any:
        try:
            return parse(data)
        except Exception:  # protobuf's DecodeError, or anything a parser may raise
            return UndecodableRequest(violations_in(method, data))

    return deserialize


def decoded(request: Any) -> Any:
    """The request itself; InvalidInput if it did not parse. A stream of requests (client
    or bidirectional streaming) is checked message by message as it is read."""
    if hasattr(request, "__aiter__"):
        return _each_decoded(request)
    if isinstance(request, UndecodableRequest):
        if not request.violations:
            raise InvalidInput("the request is not a valid protobuf message")
        raise InvalidInput.of(list(request.violations))
    return request


def violations_in(method: str, data: bytes) -> tuple[FieldViolation, ...]:
    """The damaged field of a request to `method` ("/pkg.Service/Method"), if it can be told."""
    try:
        found = descriptor_pool.Default().FindMethodByName(method.lstrip("/").replace("/", "."))
    except KeyError:
        return ()
    try:
        field = _invalid_text(found.input_type, data, "")
        if field is not None:
            return (FieldViolation(field, "is not valid UTF-8"),)
    except _Malformed as malformed:
        if malformed.field:
            return (FieldViolation(malformed.field, "is not a validly encoded value"),)
    return ()


def _invalid_text(descriptor: Descriptor, data: bytes, prefix: str) -> str | None:
    """The path of the first string field holding invalid UTF-8; _Malformed if the
    bytes break the wire format."""
    position, seen = 0, dict[int, int]()
    while position < len(data):
        key, position = _varint(data, position, None)
        number, wire_type = key >> 3, key & 7
        field = descriptor.fields_by_number.get(number)
        name = _name(prefix, field, seen.get(number, 0)) if field is not None else None
        seen[number] = seen.get(number, 0) + 1
        if wire_type == _VARINT:
            _, position = _varint(data, position, name)
        elif wire_type in _FIXED_SIZES:
            position += _FIXED_SIZES[wire_type]
            if position > len(data):
                raise _Malformed(name)
        elif wire_type == _LENGTH_DELIMITED:
            length, position = _varint(data, position, name)
            chunk = data[position : position + length]
            position += length
            if len(chunk) < length:
                raise _Malformed(name)
            if field is not None and name is not None:
                if found := _invalid_in(field, chunk, name):
                    return found
        else:
            raise _Malformed(name)
    return None


def _invalid_in(field: FieldDescriptor, chunk: bytes, name: str) -> str | None:
    if field.type == FieldDescriptor.TYPE_STRING:
        try:
            chunk.decode("utf-8")
        except UnicodeDecodeError:
            return name
        return None
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        if field.message_type.GetOptions().map_entry:
            # A map entry is named by its map: the key itself may be what is broken.
            try:
                return name if _invalid_text(field.message_type, chunk, "") else None
            except _Malformed:
                raise _Malformed(name) from None
        return _invalid_text(field.message_type, chunk, name + ".")
    return None


def _name(prefix: str, field: FieldDescriptor, index: int) -> str:
    is_map = field.message_type is not None and field.message_type.GetOptions().map_entry
    if field.is_repeated and not is_map:
        return f"{prefix}{field.name}[{index}]"
    return f"{prefix}{field.name}"


def _varint(data: bytes, position: int, field: str | None) -> tuple[int, int]:
    value, shift = 0, 0
    while position < len(data) and shift < 64:
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, position
        shift += 7
    raise _Malformed(field)


async def _each_decoded(requests: AsyncIterator[Any]) -> AsyncIterator[Any]:
    async for request in requests:
        yield decoded(request)
