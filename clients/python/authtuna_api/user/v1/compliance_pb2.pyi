import datetime

from authtuna_api.user.v1 import session_service_pb2 as _session_service_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AuditEventRelation(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AUDIT_EVENT_RELATION_UNSPECIFIED: _ClassVar[AuditEventRelation]
    AUDIT_EVENT_RELATION_SUBJECT: _ClassVar[AuditEventRelation]
    AUDIT_EVENT_RELATION_ACTOR: _ClassVar[AuditEventRelation]

class AuditChainProblem(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AUDIT_CHAIN_PROBLEM_UNSPECIFIED: _ClassVar[AuditChainProblem]
    AUDIT_CHAIN_PROBLEM_CONTENT_ALTERED: _ClassVar[AuditChainProblem]
    AUDIT_CHAIN_PROBLEM_LINK_BROKEN: _ClassVar[AuditChainProblem]
    AUDIT_CHAIN_PROBLEM_EVENT_MISSING: _ClassVar[AuditChainProblem]
    AUDIT_CHAIN_PROBLEM_TAIL_MISSING: _ClassVar[AuditChainProblem]

class ImportOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    IMPORT_OUTCOME_UNSPECIFIED: _ClassVar[ImportOutcome]
    IMPORT_OUTCOME_IMPORTED: _ClassVar[ImportOutcome]
    IMPORT_OUTCOME_VALID: _ClassVar[ImportOutcome]
    IMPORT_OUTCOME_REJECTED: _ClassVar[ImportOutcome]
AUDIT_EVENT_RELATION_UNSPECIFIED: AuditEventRelation
AUDIT_EVENT_RELATION_SUBJECT: AuditEventRelation
AUDIT_EVENT_RELATION_ACTOR: AuditEventRelation
AUDIT_CHAIN_PROBLEM_UNSPECIFIED: AuditChainProblem
AUDIT_CHAIN_PROBLEM_CONTENT_ALTERED: AuditChainProblem
AUDIT_CHAIN_PROBLEM_LINK_BROKEN: AuditChainProblem
AUDIT_CHAIN_PROBLEM_EVENT_MISSING: AuditChainProblem
AUDIT_CHAIN_PROBLEM_TAIL_MISSING: AuditChainProblem
IMPORT_OUTCOME_UNSPECIFIED: ImportOutcome
IMPORT_OUTCOME_IMPORTED: ImportOutcome
IMPORT_OUTCOME_VALID: ImportOutcome
IMPORT_OUTCOME_REJECTED: ImportOutcome

class Consent(_message.Message):
    __slots__ = ("id", "user_id", "purpose", "version", "granted_at", "granted_by", "granted_ip_address", "withdrawn_at", "withdrawn_by", "withdrawn_ip_address", "superseded_by")
    ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    GRANTED_AT_FIELD_NUMBER: _ClassVar[int]
    GRANTED_BY_FIELD_NUMBER: _ClassVar[int]
    GRANTED_IP_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    WITHDRAWN_AT_FIELD_NUMBER: _ClassVar[int]
    WITHDRAWN_BY_FIELD_NUMBER: _ClassVar[int]
    WITHDRAWN_IP_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    SUPERSEDED_BY_FIELD_NUMBER: _ClassVar[int]
    id: str
    user_id: str
    purpose: str
    version: str
    granted_at: _timestamp_pb2.Timestamp
    granted_by: str
    granted_ip_address: str
    withdrawn_at: _timestamp_pb2.Timestamp
    withdrawn_by: str
    withdrawn_ip_address: str
    superseded_by: str
    def __init__(self, id: _Optional[str] = ..., user_id: _Optional[str] = ..., purpose: _Optional[str] = ..., version: _Optional[str] = ..., granted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., granted_by: _Optional[str] = ..., granted_ip_address: _Optional[str] = ..., withdrawn_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., withdrawn_by: _Optional[str] = ..., withdrawn_ip_address: _Optional[str] = ..., superseded_by: _Optional[str] = ...) -> None: ...

class ExportedSession(_message.Message):
    __slots__ = ("session", "revoked_at")
    SESSION_FIELD_NUMBER: _ClassVar[int]
    REVOKED_AT_FIELD_NUMBER: _ClassVar[int]
    session: _session_service_pb2.Session
    revoked_at: _timestamp_pb2.Timestamp
    def __init__(self, session: _Optional[_Union[_session_service_pb2.Session, _Mapping]] = ..., revoked_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ExportedAuditEvent(_message.Message):
    __slots__ = ("id", "event_type", "user_id", "actor_id", "ip_address", "request_id", "occurred_at", "details", "chain_hash", "previous_hash")
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
    CHAIN_HASH_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_HASH_FIELD_NUMBER: _ClassVar[int]
    id: int
    event_type: str
    user_id: str
    actor_id: str
    ip_address: str
    request_id: str
    occurred_at: _timestamp_pb2.Timestamp
    details: _containers.ScalarMap[str, str]
    chain_hash: str
    previous_hash: str
    def __init__(self, id: _Optional[int] = ..., event_type: _Optional[str] = ..., user_id: _Optional[str] = ..., actor_id: _Optional[str] = ..., ip_address: _Optional[str] = ..., request_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., details: _Optional[_Mapping[str, str]] = ..., chain_hash: _Optional[str] = ..., previous_hash: _Optional[str] = ...) -> None: ...

class AuditChainBreak(_message.Message):
    __slots__ = ("event_id", "problem", "description")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    event_id: int
    problem: AuditChainProblem
    description: str
    def __init__(self, event_id: _Optional[int] = ..., problem: _Optional[_Union[AuditChainProblem, str]] = ..., description: _Optional[str] = ...) -> None: ...

class ImportedUser(_message.Message):
    __slots__ = ("email", "username", "password_hash", "email_verified", "attributes", "created_at")
    class AttributesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_HASH_FIELD_NUMBER: _ClassVar[int]
    EMAIL_VERIFIED_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    email: str
    username: str
    password_hash: str
    email_verified: bool
    attributes: _containers.ScalarMap[str, str]
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, email: _Optional[str] = ..., username: _Optional[str] = ..., password_hash: _Optional[str] = ..., email_verified: bool = ..., attributes: _Optional[_Mapping[str, str]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ImportRowError(_message.Message):
    __slots__ = ("reason", "message", "field_violations", "metadata")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    REASON_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    FIELD_VIOLATIONS_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    reason: str
    message: str
    field_violations: _containers.RepeatedCompositeFieldContainer[ImportFieldViolation]
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, reason: _Optional[str] = ..., message: _Optional[str] = ..., field_violations: _Optional[_Iterable[_Union[ImportFieldViolation, _Mapping]]] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ImportFieldViolation(_message.Message):
    __slots__ = ("field", "description")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    field: str
    description: str
    def __init__(self, field: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class ImportUserResult(_message.Message):
    __slots__ = ("row", "outcome", "user_id", "error")
    ROW_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    row: int
    outcome: ImportOutcome
    user_id: str
    error: ImportRowError
    def __init__(self, row: _Optional[int] = ..., outcome: _Optional[_Union[ImportOutcome, str]] = ..., user_id: _Optional[str] = ..., error: _Optional[_Union[ImportRowError, _Mapping]] = ...) -> None: ...
