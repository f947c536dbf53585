"""Which permission each RPC needs: one declarative table, kept exhaustive by a test.

A caller's permissions are those of the roles it holds at the global scope; roles held
at other scopes ("project:web-app") never count here (see docs/authorization.md).
"""

from __future__ import annotations

from authtuna_grpc.domain.caller import Permission

PACKAGE = "/authtuna_api.user.v1"
USER_SERVICE = f"{PACKAGE}.UserService"
ROLE_SERVICE = f"{PACKAGE}.RoleService"
API_TOKEN_SERVICE = f"{PACKAGE}.ApiTokenService"
SESSION_SERVICE = f"{PACKAGE}.SessionService"
COMPLIANCE_SERVICE = f"{PACKAGE}.ComplianceService"

# Services anyone may call without a token: health probes and reflection for grpcurl.
OPEN_SERVICE_PREFIXES = (
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1.ServerReflection/",
    "/grpc.reflection.v1alpha.ServerReflection/",
)

REQUIRED_PERMISSION: dict[str, Permission] = {
    f"{USER_SERVICE}/CreateUser": Permission.USERS_CREATE,
    f"{USER_SERVICE}/GetUser": Permission.USERS_READ,
    f"{USER_SERVICE}/ListUsers": Permission.USERS_READ,
    f"{USER_SERVICE}/SearchUsers": Permission.USERS_READ,
    f"{USER_SERVICE}/BasicSearchUsers": Permission.USERS_READ_BASIC,
    f"{USER_SERVICE}/ListAuditEvents": Permission.AUDIT_READ,
    f"{USER_SERVICE}/WatchAuditEvents": Permission.AUDIT_READ,
    f"{USER_SERVICE}/UpdateUser": Permission.USERS_UPDATE,
    f"{USER_SERVICE}/SetPassword": Permission.USERS_SET_PASSWORD,
    f"{USER_SERVICE}/SuspendUser": Permission.USERS_SUSPEND,
    f"{USER_SERVICE}/UnsuspendUser": Permission.USERS_SUSPEND,
    f"{USER_SERVICE}/DeleteUser": Permission.USERS_DELETE,
    # The archive keeps deleted users' personal data: readable by those who may delete.
    f"{USER_SERVICE}/GetDeletedUser": Permission.USERS_DELETE,
    f"{ROLE_SERVICE}/CreateRole": Permission.ROLES_MANAGE,
    # Reading roles and who holds them is reading account data, as GetUser with
    # with_relations already is: users.read, so Auditors and UserManagers can.
    f"{ROLE_SERVICE}/ListRoles": Permission.USERS_READ,
    f"{ROLE_SERVICE}/DeleteRole": Permission.ROLES_MANAGE,
    f"{ROLE_SERVICE}/AssignRole": Permission.ROLES_MANAGE,
    f"{ROLE_SERVICE}/RevokeRole": Permission.ROLES_MANAGE,
    f"{ROLE_SERVICE}/ListRoleAssignments": Permission.USERS_READ,
    f"{API_TOKEN_SERVICE}/CreateApiToken": Permission.TOKENS_MANAGE,
    f"{API_TOKEN_SERVICE}/ListApiTokens": Permission.TOKENS_MANAGE,
    f"{API_TOKEN_SERVICE}/RevokeApiToken": Permission.TOKENS_MANAGE,
    # The caller is a service signing its end users in; the password authenticates them.
    f"{SESSION_SERVICE}/SignIn": Permission.SESSIONS_SIGN_IN,
    # Holding the token is proof enough to end that one session.
    f"{SESSION_SERVICE}/SignOut": Permission.SESSIONS_SIGN_IN,
    f"{SESSION_SERVICE}/ValidateSession": Permission.SESSIONS_VALIDATE,
    f"{SESSION_SERVICE}/RevokeSession": Permission.SESSIONS_MANAGE,
    f"{SESSION_SERVICE}/RevokeAllSessions": Permission.SESSIONS_MANAGE,
    f"{SESSION_SERVICE}/ListSessions": Permission.SESSIONS_MANAGE,
    f"{SESSION_SERVICE}/ClearSignInLock": Permission.SESSIONS_MANAGE,
    # The second step of a sign-in: the challenge token stands for the verified password.
    f"{SESSION_SERVICE}/CompleteSignIn": Permission.SESSIONS_SIGN_IN,
    # Enrolment is done by the front end for its signed-in end user. Whoever holds this
    # can replace a user's recovery codes, so it is a permission of its own.
    f"{SESSION_SERVICE}/BeginTotpEnrollment": Permission.MFA_ENROLL,
    f"{SESSION_SERVICE}/ConfirmTotpEnrollment": Permission.MFA_ENROLL,
    f"{SESSION_SERVICE}/RegenerateRecoveryCodes": Permission.MFA_ENROLL,
    f"{SESSION_SERVICE}/GetSecondFactor": Permission.MFA_ENROLL,
    f"{SESSION_SERVICE}/ResetSecondFactor": Permission.MFA_RESET,
    # Everything about one person in one call: its own permission, beyond users.read.
    f"{COMPLIANCE_SERVICE}/ExportUserData": Permission.USERS_EXPORT,
    f"{COMPLIANCE_SERVICE}/GrantConsent": Permission.CONSENTS_MANAGE,
    f"{COMPLIANCE_SERVICE}/WithdrawConsent": Permission.CONSENTS_MANAGE,
    # Consent records are account data, like role assignments.
    f"{COMPLIANCE_SERVICE}/ListConsents": Permission.USERS_READ,
    # Verifying reveals no more than reading the audit trail does.
    f"{COMPLIANCE_SERVICE}/VerifyAuditLog": Permission.AUDIT_READ,
    f"{COMPLIANCE_SERVICE}/ImportUsers": Permission.USERS_IMPORT,
}


def is_open(method: str) -> bool:
    return method.startswith(OPEN_SERVICE_PREFIXES)
