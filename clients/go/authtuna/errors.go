package authtuna

import (
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/status"
)

// ErrorDomain is the ErrorInfo domain of every error the server sends.
const ErrorDomain = "authtuna"

// The reasons the server sends in google.rpc.ErrorInfo (docs/errors.md).
const (
	ReasonInvalidArgument             = "INVALID_ARGUMENT"
	ReasonWeakPassword                = "WEAK_PASSWORD"
	ReasonInvalidPageToken            = "INVALID_PAGE_TOKEN"
	ReasonUserNotFound                = "USER_NOT_FOUND"
	ReasonEmailAlreadyRegistered      = "EMAIL_ALREADY_REGISTERED"
	ReasonUsernameAlreadyTaken        = "USERNAME_ALREADY_TAKEN"
	ReasonMissingCredentials          = "MISSING_CREDENTIALS"
	ReasonInvalidCredentials          = "INVALID_CREDENTIALS"
	ReasonPermissionDenied            = "PERMISSION_DENIED"
	ReasonInternal                    = "INTERNAL"
	ReasonDeletedUserNotFound         = "DELETED_USER_NOT_FOUND"
	ReasonStaleEtag                   = "STALE_ETAG"
	ReasonUserAlreadySuspended        = "USER_ALREADY_SUSPENDED"
	ReasonUserNotSuspended            = "USER_NOT_SUSPENDED"
	ReasonCannotSuspendSelf           = "CANNOT_SUSPEND_SELF"
	ReasonCannotDeleteSelf            = "CANNOT_DELETE_SELF"
	ReasonLastAdmin                   = "LAST_ADMIN"
	ReasonPrivilegeEscalation         = "PRIVILEGE_ESCALATION"
	ReasonRoleNotFound                = "ROLE_NOT_FOUND"
	ReasonRoleAlreadyExists           = "ROLE_ALREADY_EXISTS"
	ReasonBuiltinRoleProtected        = "BUILTIN_ROLE_PROTECTED"
	ReasonRoleInUse                   = "ROLE_IN_USE"
	ReasonRoleAlreadyAssigned         = "ROLE_ALREADY_ASSIGNED"
	ReasonAssignmentNotFound          = "ASSIGNMENT_NOT_FOUND"
	ReasonApiTokenNotFound            = "API_TOKEN_NOT_FOUND"
	ReasonApiTokenAlreadyRevoked      = "API_TOKEN_ALREADY_REVOKED"
	ReasonNotAServiceAccount          = "NOT_A_SERVICE_ACCOUNT"
	ReasonServiceIdentityAlreadyBound = "SERVICE_IDENTITY_ALREADY_BOUND"
	ReasonServiceIdentityNotFound     = "SERVICE_IDENTITY_NOT_FOUND"
	ReasonInvalidSignIn               = "INVALID_SIGN_IN"
	ReasonUserSuspended               = "USER_SUSPENDED"
	ReasonSignInLocked                = "SIGN_IN_LOCKED"
	ReasonSignInRateLimited           = "SIGN_IN_RATE_LIMITED"
	ReasonInvalidSession              = "INVALID_SESSION"
	ReasonSessionNotFound             = "SESSION_NOT_FOUND"
	ReasonMfaNotConfigured            = "MFA_NOT_CONFIGURED"
	ReasonMfaAlreadyEnrolled          = "MFA_ALREADY_ENROLLED"
	ReasonMfaNotEnrolled              = "MFA_NOT_ENROLLED"
	ReasonInvalidChallenge            = "INVALID_CHALLENGE"
	ReasonInvalidSecondFactor         = "INVALID_SECOND_FACTOR"
	ReasonConsentAlreadyGranted       = "CONSENT_ALREADY_GRANTED"
	ReasonConsentNotGranted           = "CONSENT_NOT_GRANTED"
	ReasonDatabaseUnavailable         = "DATABASE_UNAVAILABLE"
)

// ErrorInfo returns the google.rpc.ErrorInfo of a failed call, or nil when err
// carries none (nil, not a gRPC status, or a status without details).
func ErrorInfo(err error) *errdetails.ErrorInfo {
	for _, detail := range details(err) {
		if info, ok := detail.(*errdetails.ErrorInfo); ok {
			return info
		}
	}
	return nil
}

// Reason returns the ErrorInfo reason of a failed call ("USER_NOT_FOUND", ...),
// or "" when it has none.
func Reason(err error) string {
	return ErrorInfo(err).GetReason()
}

// IsReason reports whether err is a failed call with this ErrorInfo reason.
func IsReason(err error, reason string) bool {
	return err != nil && Reason(err) == reason
}

// FieldViolations returns the invalid request fields of a failed call (from
// google.rpc.BadRequest), in the order the server reported them.
func FieldViolations(err error) []*errdetails.BadRequest_FieldViolation {
	var violations []*errdetails.BadRequest_FieldViolation
	for _, detail := range details(err) {
		if bad, ok := detail.(*errdetails.BadRequest); ok {
			violations = append(violations, bad.GetFieldViolations()...)
		}
	}
	return violations
}

func details(err error) []any {
	if err == nil {
		return nil
	}
	s, ok := status.FromError(err)
	if !ok {
		return nil
	}
	return s.Details()
}
