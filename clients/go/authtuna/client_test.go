package authtuna_test

import (
	"context"
	"slices"
	"testing"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/authtuna/authtuna-grpc/clients/go/authtuna"
	userv1 "github.com/authtuna/authtuna-grpc/clients/go/userv1"
)

// Integration tests against the live server (see live_server_test.go). Each test
// makes its own users, so they also pass against a shared server.

func createUser(t *testing.T, client *authtuna.Client, name string) *userv1.User {
	t.Helper()
	resp, err := client.CreateUser(context.Background(), &userv1.CreateUserRequest{
		Email: name + "@example.com", Username: name, Password: proto.String("Correct-Horse-9"),
	})
	if err != nil {
		t.Fatalf("CreateUser(%s): %v", name, err)
	}
	return resp.GetUser()
}

func TestCreateGetAndIterateUsers(t *testing.T) {
	ctx := context.Background()
	client := dial(t, liveAddress, liveToken)
	var created []*userv1.User
	for range 3 {
		created = append(created, createUser(t, client, unique("go-user")))
	}
	ada := created[0]
	if !ada.GetHasPassword() || ada.GetEtag() == "" || ada.GetId() == "" {
		t.Fatalf("created user lacks password, etag or id: %v", ada)
	}
	for _, req := range []*userv1.GetUserRequest{
		{Lookup: &userv1.GetUserRequest_Id{Id: ada.GetId()}},
		{Lookup: &userv1.GetUserRequest_Email{Email: ada.GetEmail()}},
		{Lookup: &userv1.GetUserRequest_Username{Username: ada.GetUsername()}},
	} {
		resp, err := client.GetUser(ctx, req)
		if err != nil || !proto.Equal(resp.GetUser(), ada) {
			t.Fatalf("GetUser(%v) = %v, %v; want %v", req, resp.GetUser(), err, ada)
		}
	}
	var seen []string
	for user, err := range client.AllUsers(ctx, 2) {
		if err != nil {
			t.Fatalf("AllUsers: %v", err)
		}
		seen = append(seen, user.GetId())
	}
	for _, user := range created {
		if !slices.Contains(seen, user.GetId()) {
			t.Fatalf("AllUsers did not yield %s", user.GetUsername())
		}
	}
	if !slices.IsSorted(seen) || len(slices.Compact(slices.Clone(seen))) != len(seen) {
		t.Fatalf("AllUsers yielded ids out of order or twice: %v", seen)
	}
}

func TestDuplicateEmailIsEmailAlreadyRegistered(t *testing.T) {
	client := dial(t, liveAddress, liveToken)
	first := createUser(t, client, unique("go-dup"))
	_, err := client.CreateUser(context.Background(), &userv1.CreateUserRequest{
		Email: first.GetEmail(), Username: unique("go-other"),
	})
	if status.Code(err) != codes.AlreadyExists || !authtuna.IsReason(err, authtuna.ReasonEmailAlreadyRegistered) {
		t.Fatalf("duplicate email: got %v (reason %q), want ALREADY_EXISTS EMAIL_ALREADY_REGISTERED", err, authtuna.Reason(err))
	}
	if info := authtuna.ErrorInfo(err); info.GetDomain() != authtuna.ErrorDomain || info.GetMetadata()["field"] != "email" {
		t.Fatalf("ErrorInfo = %v, want domain authtuna and field email", info)
	}
}

func TestUnknownUserIsUserNotFound(t *testing.T) {
	client := dial(t, liveAddress, liveToken)
	_, err := client.GetUser(context.Background(), &userv1.GetUserRequest{
		Lookup: &userv1.GetUserRequest_Username{Username: unique("nobody")},
	})
	if status.Code(err) != codes.NotFound || !authtuna.IsReason(err, "USER_NOT_FOUND") {
		t.Fatalf("unknown user: got %v, want NOT_FOUND USER_NOT_FOUND", err)
	}
}

func TestInvalidInputNamesTheFields(t *testing.T) {
	client := dial(t, liveAddress, liveToken)
	_, err := client.CreateUser(context.Background(), &userv1.CreateUserRequest{Email: "nope", Username: "x"})
	var fields []string
	for _, violation := range authtuna.FieldViolations(err) {
		fields = append(fields, violation.GetField())
	}
	if authtuna.Reason(err) != authtuna.ReasonInvalidArgument || !slices.Equal(fields, []string{"email", "username"}) {
		t.Fatalf("invalid input: reason %q, fields %v; want INVALID_ARGUMENT [email username]", authtuna.Reason(err), fields)
	}
}

func TestWithoutATokenCallsAreUnauthenticated(t *testing.T) {
	anonymous := dial(t, liveAddress, "")
	_, err := anonymous.ListUsers(context.Background(), &userv1.ListUsersRequest{})
	if status.Code(err) != codes.Unauthenticated || !authtuna.IsReason(err, authtuna.ReasonMissingCredentials) {
		t.Fatalf("no token: got %v, want UNAUTHENTICATED MISSING_CREDENTIALS", err)
	}
	stranger := dial(t, liveAddress, "atk_not-a-real-token")
	_, err = stranger.ListUsers(context.Background(), &userv1.ListUsersRequest{})
	if !authtuna.IsReason(err, authtuna.ReasonInvalidCredentials) {
		t.Fatalf("unknown token: got %v, want INVALID_CREDENTIALS", err)
	}
}

func TestErrorHelpersOnSuccessAndOnPlainErrors(t *testing.T) {
	if authtuna.Reason(nil) != "" || authtuna.IsReason(nil, "") || authtuna.FieldViolations(nil) != nil {
		t.Fatal("a nil error has a reason or field violations")
	}
	if authtuna.ErrorInfo(context.Canceled) != nil {
		t.Fatal("a non-gRPC error has ErrorInfo")
	}
}

func TestStreamFlattensALiveStreamAndCancelsItWhenLeft(t *testing.T) {
	client := dial(t, liveAddress, liveToken)
	health := healthpb.NewHealthClient(client.Conn())
	// Watch never ends by itself, so only an early exit that cancels lets this return.
	statuses := func(r *healthpb.HealthCheckResponse) []healthpb.HealthCheckResponse_ServingStatus {
		return []healthpb.HealthCheckResponse_ServingStatus{r.GetStatus(), r.GetStatus()}
	}
	var got []healthpb.HealthCheckResponse_ServingStatus
	for status, err := range authtuna.Stream(context.Background(), health.Watch, &healthpb.HealthCheckRequest{}, statuses) {
		if err != nil {
			t.Fatalf("Watch: %v", err)
		}
		got = append(got, status)
		if len(got) == 2 {
			break
		}
	}
	if got[0] != healthpb.HealthCheckResponse_SERVING || got[1] != got[0] {
		t.Fatalf("Watch statuses = %v, want SERVING twice", got)
	}
}

func TestUpdateUserWithItsEtagAndAStaleEtagIsAborted(t *testing.T) {
	ctx := context.Background()
	client := dial(t, liveAddress, liveToken)
	ada := createUser(t, client, unique("go-update"))
	newEmail := unique("go-renamed") + "@example.com"
	resp, err := client.UpdateUser(ctx, &userv1.UpdateUserRequest{
		Id:         ada.GetId(),
		User:       &userv1.User{Email: newEmail},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"email"}},
		Etag:       ada.GetEtag(),
	})
	if err != nil || resp.GetUser().GetEmail() != newEmail || resp.GetUser().GetEtag() == ada.GetEtag() {
		t.Fatalf("UpdateUser = %v, %v; want the new email and a new etag", resp.GetUser(), err)
	}
	_, err = client.UpdateUser(ctx, &userv1.UpdateUserRequest{
		Id:         ada.GetId(),
		User:       &userv1.User{Username: unique("go-late")},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"username"}},
		Etag:       ada.GetEtag(),
	})
	if status.Code(err) != codes.Aborted || !authtuna.IsReason(err, authtuna.ReasonStaleEtag) {
		t.Fatalf("UpdateUser with a stale etag: %v, want ABORTED STALE_ETAG", err)
	}
}

func TestSuspendAndUnsuspend(t *testing.T) {
	ctx := context.Background()
	client := dial(t, liveAddress, liveToken)
	ada := createUser(t, client, unique("go-suspend"))
	resp, err := client.SuspendUser(ctx, &userv1.SuspendUserRequest{Id: ada.GetId(), Reason: "chargeback"})
	if err != nil || resp.GetUser().GetIsActive() || resp.GetUser().GetSuspensionReason() != "chargeback" {
		t.Fatalf("SuspendUser = %v, %v; want an inactive user with the reason", resp.GetUser(), err)
	}
	_, err = client.SuspendUser(ctx, &userv1.SuspendUserRequest{Id: ada.GetId(), Reason: "again"})
	if status.Code(err) != codes.FailedPrecondition || !authtuna.IsReason(err, authtuna.ReasonUserAlreadySuspended) {
		t.Fatalf("SuspendUser twice: %v, want FAILED_PRECONDITION USER_ALREADY_SUSPENDED", err)
	}
	unsuspended, err := client.UnsuspendUser(ctx, &userv1.UnsuspendUserRequest{Id: ada.GetId(), Reason: "resolved"})
	if err != nil || !unsuspended.GetUser().GetIsActive() {
		t.Fatalf("UnsuspendUser = %v, %v; want an active user", unsuspended.GetUser(), err)
	}
}

func TestEveryServiceOfTheContractIsOnTheClient(t *testing.T) {
	client := dial(t, liveAddress, liveToken)
	roles, err := client.ListRoles(context.Background(), &userv1.ListRolesRequest{})
	if err != nil || len(roles.GetRoles()) == 0 {
		t.Fatalf("ListRoles = %v, %v; want the built-in roles", roles, err)
	}
	admin, err := client.ListUsers(context.Background(), &userv1.ListUsersRequest{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.ListApiTokens(context.Background(), &userv1.ListApiTokensRequest{UserId: admin.GetUsers()[0].GetId()}); err != nil {
		t.Fatalf("ListApiTokens: %v", err)
	}
	_, err = client.ValidateSession(context.Background(), &userv1.ValidateSessionRequest{SessionToken: "ses_unknown"})
	if !authtuna.IsReason(err, authtuna.ReasonInvalidSession) {
		t.Fatalf("ValidateSession of an unknown token: %v, want INVALID_SESSION", err)
	}
}
