import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AuditEventOrder(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AUDIT_EVENT_ORDER_UNSPECIFIED: _ClassVar[AuditEventOrder]
    AUDIT_EVENT_ORDER_NEWEST_FIRST: _ClassVar[AuditEventOrder]
    AUDIT_EVENT_ORDER_OLDEST_FIRST: _ClassVar[AuditEventOrder]
AUDIT_EVENT_ORDER_UNSPECIFIED: AuditEventOrder
AUDIT_EVENT_ORDER_NEWEST_FIRST: AuditEventOrder
AUDIT_EVENT_ORDER_OLDEST_FIRST: AuditEventOrder

class AuditEvent(_message.Message):
    __slots__ = ("id", "event_type", "user_id", "actor_id", "ip_address", "request_id", "occurred_at", "details")
    class DetailsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    IP_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    id: int
    event_type: str
    user_id: str
    actor_id: str
    ip_address: str
    request_id: str
    occurred_at: _timestamp_pb2.Timestamp
    details: _containers.ScalarMap[str, str]
    def __init__(self, id: _Optional[int] = ..., event_type: _Optional[str] = ..., user_id: _Optional[str] = ..., actor_id: _Optional[str] = ..., ip_address: _Optional[str] = ..., request_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., details: _Optional[_Mapping[str, str]] = ...) -> None: ...
