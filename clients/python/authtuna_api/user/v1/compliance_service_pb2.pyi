import datetime

from authtuna_api.user.v1 import api_token_pb2 as _api_token_pb2
from authtuna_api.user.v1 import compliance_pb2 as _compliance_pb2
from authtuna_api.user.v1 import role_pb2 as _role_pb2
from authtuna_api.user.v1 import user_pb2 as _user_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ExportUserDataRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class ExportUserDataResponse(_message.Message):
    __slots__ = ("profile", "role_assignments", "sessions", "api_tokens", "consents", "audit_events", "summary")
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    ROLE_ASSIGNMENTS_FIELD_NUMBER: _ClassVar[int]
    SESSIONS_FIELD_NUMBER: _ClassVar[int]
    API_TOKENS_FIELD_NUMBER: _ClassVar[int]
    CONSENTS_FIELD_NUMBER: _ClassVar[int]
    AUDIT_EVENTS_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    profile: _user_pb2.User
    role_assignments: ExportedRoleAssignments
    sessions: ExportedSessions
    api_tokens: ExportedApiTokens
    consents: ExportedConsents
    audit_events: ExportedAuditEvents
    summary: ExportSummary
    def __init__(self, profile: _Optional[_Union[_user_pb2.User, _Mapping]] = ..., role_assignments: _Optional[_Union[ExportedRoleAssignments, _Mapping]] = ..., sessions: _Optional[_Union[ExportedSessions, _Mapping]] = ..., api_tokens: _Optional[_Union[ExportedApiTokens, _Mapping]] = ..., consents: _Optional[_Union[ExportedConsents, _Mapping]] = ..., audit_events: _Optional[_Union[ExportedAuditEvents, _Mapping]] = ..., summary: _Optional[_Union[ExportSummary, _Mapping]] = ...) -> None: ...

class ExportedRoleAssignments(_message.Message):
    __slots__ = ("role_assignments",)
    ROLE_ASSIGNMENTS_FIELD_NUMBER: _ClassVar[int]
    role_assignments: _containers.RepeatedCompositeFieldContainer[_role_pb2.RoleAssignment]
    def __init__(self, role_assignments: _Optional[_Iterable[_Union[_role_pb2.RoleAssignment, _Mapping]]] = ...) -> None: ...

class ExportedSessions(_message.Message):
    __slots__ = ("sessions",)
    SESSIONS_FIELD_NUMBER: _ClassVar[int]
    sessions: _containers.RepeatedCompositeFieldContainer[_compliance_pb2.ExportedSession]
    def __init__(self, sessions: _Optional[_Iterable[_Union[_compliance_pb2.ExportedSession, _Mapping]]] = ...) -> None: ...

class ExportedApiTokens(_message.Message):
    __slots__ = ("api_tokens",)
    API_TOKENS_FIELD_NUMBER: _ClassVar[int]
    api_tokens: _containers.RepeatedCompositeFieldContainer[_api_token_pb2.ApiToken]
    def __init__(self, api_tokens: _Optional[_Iterable[_Union[_api_token_pb2.ApiToken, _Mapping]]] = ...) -> None: ...

class ExportedConsents(_message.Message):
    __slots__ = ("consents",)
    CONSENTS_FIELD_NUMBER: _ClassVar[int]
    consents: _containers.RepeatedCompositeFieldContainer[_compliance_pb2.Consent]
    def __init__(self, consents: _Optional[_Iterable[_Union[_compliance_pb2.Consent, _Mapping]]] = ...) -> None: ...

class ExportedAuditEvents(_message.Message):
    __slots__ = ("relation", "events")
    RELATION_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    relation: _compliance_pb2.AuditEventRelation
    events: _containers.RepeatedCompositeFieldContainer[_compliance_pb2.ExportedAuditEvent]
    def __init__(self, relation: _Optional[_Union[_compliance_pb2.AuditEventRelation, str]] = ..., events: _Optional[_Iterable[_Union[_compliance_pb2.ExportedAuditEvent, _Mapping]]] = ...) -> None: ...

class ExportSummary(_message.Message):
    __slots__ = ("user_id", "exported_at", "role_assignments", "sessions", "api_tokens", "consents", "subject_audit_events", "actor_audit_events")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    EXPORTED_AT_FIELD_NUMBER: _ClassVar[int]
    ROLE_ASSIGNMENTS_FIELD_NUMBER: _ClassVar[int]
    SESSIONS_FIELD_NUMBER: _ClassVar[int]
    API_TOKENS_FIELD_NUMBER: _ClassVar[int]
    CONSENTS_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_AUDIT_EVENTS_FIELD_NUMBER: _ClassVar[int]
    ACTOR_AUDIT_EVENTS_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    exported_at: _timestamp_pb2.Timestamp
    role_assignments: int
    sessions: int
    api_tokens: int
    consents: int
    subject_audit_events: int
    actor_audit_events: int
    def __init__(self, user_id: _Optional[str] = ..., exported_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., role_assignments: _Optional[int] = ..., sessions: _Optional[int] = ..., api_tokens: _Optional[int] = ..., consents: _Optional[int] = ..., subject_audit_events: _Optional[int] = ..., actor_audit_events: _Optional[int] = ...) -> None: ...

class GrantConsentRequest(_message.Message):
    __slots__ = ("user_id", "purpose", "version")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    purpose: str
    version: str
    def __init__(self, user_id: _Optional[str] = ..., purpose: _Optional[str] = ..., version: _Optional[str] = ...) -> None: ...

class GrantConsentResponse(_message.Message):
    __slots__ = ("consent", "superseded")
    CONSENT_FIELD_NUMBER: _ClassVar[int]
    SUPERSEDED_FIELD_NUMBER: _ClassVar[int]
    consent: _compliance_pb2.Consent
    superseded: _compliance_pb2.Consent
    def __init__(self, consent: _Optional[_Union[_compliance_pb2.Consent, _Mapping]] = ..., superseded: _Optional[_Union[_compliance_pb2.Consent, _Mapping]] = ...) -> None: ...

class WithdrawConsentRequest(_message.Message):
    __slots__ = ("user_id", "purpose")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    purpose: str
    def __init__(self, user_id: _Optional[str] = ..., purpose: _Optional[str] = ...) -> None: ...

class WithdrawConsentResponse(_message.Message):
    __slots__ = ("consent",)
    CONSENT_FIELD_NUMBER: _ClassVar[int]
    consent: _compliance_pb2.Consent
    def __init__(self, consent: _Optional[_Union[_compliance_pb2.Consent, _Mapping]] = ...) -> None: ...

class ListConsentsRequest(_message.Message):
    __slots__ = ("user_id", "purpose", "active_only", "limit", "page_token")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_ONLY_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    purpose: str
    active_only: bool
    limit: int
    page_token: str
    def __init__(self, user_id: _Optional[str] = ..., purpose: _Optional[str] = ..., active_only: bool = ..., limit: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListConsentsResponse(_message.Message):
    __slots__ = ("consents", "next_page_token")
    CONSENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    consents: _containers.RepeatedCompositeFieldContainer[_compliance_pb2.Consent]
    next_page_token: str
    def __init__(self, consents: _Optional[_Iterable[_Union[_compliance_pb2.Consent, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class VerifyAuditLogRequest(_message.Message):
    __slots__ = ("from_event_id", "to_event_id")
    FROM_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    TO_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    from_event_id: int
    to_event_id: int
    def __init__(self, from_event_id: _Optional[int] = ..., to_event_id: _Optional[int] = ...) -> None: ...

class VerifyAuditLogResponse(_message.Message):
    __slots__ = ("intact", "events_verified", "first_event_id", "last_event_id", "last_chain_hash", "first_break", "anchor_event_id", "anchor_hash")
    INTACT_FIELD_NUMBER: _ClassVar[int]
    EVENTS_VERIFIED_FIELD_NUMBER: _ClassVar[int]
    FIRST_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    LAST_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    LAST_CHAIN_HASH_FIELD_NUMBER: _ClassVar[int]
    FIRST_BREAK_FIELD_NUMBER: _ClassVar[int]
    ANCHOR_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    ANCHOR_HASH_FIELD_NUMBER: _ClassVar[int]
    intact: bool
    events_verified: int
    first_event_id: int
    last_event_id: int
    last_chain_hash: str
    first_break: _compliance_pb2.AuditChainBreak
    anchor_event_id: int
    anchor_hash: str
    def __init__(self, intact: bool = ..., events_verified: _Optional[int] = ..., first_event_id: _Optional[int] = ..., last_event_id: _Optional[int] = ..., last_chain_hash: _Optional[str] = ..., first_break: _Optional[_Union[_compliance_pb2.AuditChainBreak, _Mapping]] = ..., anchor_event_id: _Optional[int] = ..., anchor_hash: _Optional[str] = ...) -> None: ...

class ImportUsersRequest(_message.Message):
    __slots__ = ("users", "validate_only")
    USERS_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    users: _containers.RepeatedCompositeFieldContainer[_compliance_pb2.ImportedUser]
    validate_only: bool
    def __init__(self, users: _Optional[_Iterable[_Union[_compliance_pb2.ImportedUser, _Mapping]]] = ..., validate_only: bool = ...) -> None: ...

class ImportUsersResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[_compliance_pb2.ImportUserResult]
    def __init__(self, results: _Optional[_Iterable[_Union[_compliance_pb2.ImportUserResult, _Mapping]]] = ...) -> None: ...
