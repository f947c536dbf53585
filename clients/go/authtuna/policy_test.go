package authtuna_test

import (
	"context"
	"crypto/tls"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/authtuna/authtuna-grpc/clients/go/authtuna"
	userv1 "github.com/authtuna/authtuna-grpc/clients/go/userv1"
)

// Retries, deadlines and credentials, which only a real connection applies: the
// client talks to a stand-in UserService in this process that fails on cue.

type standIn struct {
	userv1.UnimplementedUserServiceServer

	mu          sync.Mutex
	failures    map[string]int // the first N calls of a method fail UNAVAILABLE
	attempts    map[string]int
	deadlines   map[string]time.Duration // time left when the call arrived; 0: none
	credentials map[string][]string      // authorization metadata per method
}

func (s *standIn) answer(ctx context.Context, method string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attempts[method]++
	s.deadlines[method] = 0
	if deadline, ok := ctx.Deadline(); ok {
		s.deadlines[method] = time.Until(deadline)
	}
	md, _ := metadata.FromIncomingContext(ctx)
	s.credentials[method] = md.Get("authorization")
	if s.attempts[method] <= s.failures[method] {
		return status.Error(codes.Unavailable, "restarting")
	}
	return nil
}

func (s *standIn) GetUser(ctx context.Context, _ *userv1.GetUserRequest) (*userv1.GetUserResponse, error) {
	return &userv1.GetUserResponse{User: &userv1.User{Id: "u1"}}, s.answer(ctx, "GetUser")
}

func (s *standIn) ListUsers(ctx context.Context, _ *userv1.ListUsersRequest) (*userv1.ListUsersResponse, error) {
	return &userv1.ListUsersResponse{Users: []*userv1.User{{Id: "u1"}}}, s.answer(ctx, "ListUsers")
}

func (s *standIn) CreateUser(ctx context.Context, _ *userv1.CreateUserRequest) (*userv1.CreateUserResponse, error) {
	return &userv1.CreateUserResponse{User: &userv1.User{Id: "u1"}}, s.answer(ctx, "CreateUser")
}

func startStandIn(t *testing.T, failures map[string]int) (*standIn, string) {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	users := &standIn{
		failures: failures, attempts: map[string]int{},
		deadlines: map[string]time.Duration{}, credentials: map[string][]string{},
	}
	server := grpc.NewServer()
	userv1.RegisterUserServiceServer(server, users)
	go func() { _ = server.Serve(listener) }()
	t.Cleanup(server.Stop)
	return users, listener.Addr().String()
}

var byUsername = &userv1.GetUserRequest{Lookup: &userv1.GetUserRequest_Username{Username: "ada"}}

func TestReadsAreRetriedWhileTheServerIsUnavailable(t *testing.T) {
	users, addr := startStandIn(t, map[string]int{"GetUser": 2, "ListUsers": 3})
	client := dial(t, addr, "atk_t")
	if _, err := client.GetUser(context.Background(), byUsername); err != nil {
		t.Fatalf("GetUser after two UNAVAILABLE: %v", err)
	}
	for _, err := range client.AllUsers(context.Background(), 0) {
		if err != nil {
			t.Fatalf("AllUsers after three UNAVAILABLE: %v", err)
		}
	}
	if users.attempts["GetUser"] != 3 || users.attempts["ListUsers"] != 4 {
		t.Fatalf("attempts = %v, want GetUser 3 and ListUsers 4", users.attempts)
	}
}

func TestWritesAreNeverRetried(t *testing.T) {
	users, addr := startStandIn(t, map[string]int{"CreateUser": 1})
	client := dial(t, addr, "atk_t")
	_, err := client.CreateUser(context.Background(), &userv1.CreateUserRequest{Email: "a@example.com", Username: "ada"})
	if status.Code(err) != codes.Unavailable || users.attempts["CreateUser"] != 1 {
		t.Fatalf("CreateUser: %v after %d attempts; want UNAVAILABLE after 1", err, users.attempts["CreateUser"])
	}
}

func TestUnaryCallsGetTheDefaultDeadlineUnlessTheContextHasOne(t *testing.T) {
	users, addr := startStandIn(t, map[string]int{})
	client := dial(t, addr, "atk_t", authtuna.WithTimeout(7*time.Second))
	if _, err := client.GetUser(context.Background(), byUsername); err != nil {
		t.Fatal(err)
	}
	if left := users.deadlines["GetUser"]; left <= 6*time.Second || left > 7*time.Second {
		t.Fatalf("time left with the default deadline = %s, want about 7s", left)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := client.GetUser(ctx, byUsername); err != nil {
		t.Fatal(err)
	}
	if left := users.deadlines["GetUser"]; left <= time.Second || left > 2*time.Second {
		t.Fatalf("time left with the context's deadline = %s, want about 2s", left)
	}
	unbounded := dial(t, addr, "atk_t", authtuna.WithTimeout(0))
	if _, err := unbounded.GetUser(context.Background(), byUsername); err != nil {
		t.Fatal(err)
	}
	if left := users.deadlines["GetUser"]; left != 0 {
		t.Fatalf("WithTimeout(0) still sent a deadline (%s left)", left)
	}
}

func TestTheTokenIsSentAsABearerCredential(t *testing.T) {
	users, addr := startStandIn(t, map[string]int{})
	client := dial(t, addr, "atk_secret")
	if _, err := client.GetUser(context.Background(), byUsername); err != nil {
		t.Fatal(err)
	}
	if got := users.credentials["GetUser"]; len(got) != 1 || got[0] != "Bearer atk_secret" {
		t.Fatalf("authorization metadata = %v, want [Bearer atk_secret]", got)
	}
}

func TestATokenIsNeverSentInPlaintextUnlessInsecureWasChosen(t *testing.T) {
	_, addr := startStandIn(t, map[string]int{})
	// A plaintext transport slipped in through dial options, without WithInsecure:
	// the bearer credentials demand TLS, so gRPC refuses the connection.
	_, err := authtuna.Dial(context.Background(), addr, authtuna.WithToken("atk_secret"),
		authtuna.WithDialOptions(grpc.WithTransportCredentials(insecure.NewCredentials())))
	if err == nil || !strings.Contains(err.Error(), "transport level security") {
		t.Fatalf("Dial with a token over plaintext without WithInsecure: %v, want a transport security error", err)
	}
}

func TestDialRefusesTLSAndInsecureTogether(t *testing.T) {
	for _, config := range []*tls.Config{nil, {MinVersion: tls.VersionTLS13}} {
		_, err := authtuna.Dial(context.Background(), "127.0.0.1:1", authtuna.WithInsecure(), authtuna.WithTLS(config))
		if err == nil {
			t.Fatalf("Dial accepted WithTLS(%v) together with WithInsecure", config)
		}
	}
}

func TestDialUsesTLSUnlessToldOtherwise(t *testing.T) {
	users, addr := startStandIn(t, map[string]int{})
	client, err := authtuna.Dial(context.Background(), addr, authtuna.WithToken("atk_secret"))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	// The stand-in speaks plaintext, so the TLS handshake fails before any call.
	if _, err := client.CreateUser(ctx, &userv1.CreateUserRequest{}); status.Code(err) != codes.Unavailable {
		t.Fatalf("CreateUser over TLS to a plaintext server: %v, want UNAVAILABLE", err)
	}
	if users.attempts["CreateUser"] != 0 {
		t.Fatal("the call reached the server without TLS")
	}
}
