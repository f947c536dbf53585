// Package authtuna is a small client for authtuna-grpc on top of the generated
// package userv1: Dial with a bearer token, TLS (or plaintext, when asked for
// explicitly), a default deadline for unary calls, retries with backoff for the
// read RPCs while the server is UNAVAILABLE, iterators over paged and
// batch-streamed results, and errors inspectable by their reason.
//
//	client, err := authtuna.Dial(ctx, "users.internal:443", authtuna.WithToken(token))
//	user, err := client.GetUser(ctx, &userv1.GetUserRequest{Lookup: &userv1.GetUserRequest_Username{Username: "ada"}})
//	if authtuna.IsReason(err, authtuna.ReasonUserNotFound) { ... }
package authtuna

import (
	"context"
	"encoding/json"
	"time"

	"google.golang.org/grpc"

	userv1 "github.com/authtuna/authtuna-grpc/clients/go/userv1"
)

// DefaultTimeout bounds each unary call whose context has no deadline of its own.
const DefaultTimeout = 10 * time.Second

// ReadMethods are the idempotent RPCs retried with backoff while the server is
// UNAVAILABLE. Add every new read RPC here; never a write.
var ReadMethods = map[string][]string{
	userv1.UserService_ServiceDesc.ServiceName:       {"GetUser", "ListUsers", "GetDeletedUser", "SearchUsers", "BasicSearchUsers", "ListAuditEvents"},
	userv1.RoleService_ServiceDesc.ServiceName:       {"ListRoles", "ListRoleAssignments"},
	userv1.ApiTokenService_ServiceDesc.ServiceName:   {"ListApiTokens"},
	userv1.SessionService_ServiceDesc.ServiceName:    {"ListSessions", "GetSecondFactor"},
	userv1.ComplianceService_ServiceDesc.ServiceName: {"ListConsents"},
}

// Client is a connection to authtuna-grpc. The generated service clients are
// embedded, so every RPC is a method (client.CreateUser, client.GetUser, ...);
// the helpers here add iteration over pages and streams.
type Client struct {
	userv1.UserServiceClient
	userv1.RoleServiceClient
	userv1.ApiTokenServiceClient
	userv1.SessionServiceClient
	userv1.ComplianceServiceClient

	conn *grpc.ClientConn
}

// Dial prepares a client for addr (host:port). It does not wait for the
// connection: the first call connects, and reads retry while the server is not
// up yet. Without WithInsecure the connection uses TLS (the system roots unless
// WithTLS says otherwise). Dial fails only for bad options or a done ctx.
func Dial(ctx context.Context, addr string, opts ...Option) (*Client, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	settings := newSettings(opts)
	dialOptions, err := settings.dialOptions()
	if err != nil {
		return nil, err
	}
	conn, err := grpc.NewClient(addr, dialOptions...)
	if err != nil {
		return nil, err
	}
	return &Client{
		UserServiceClient:       userv1.NewUserServiceClient(conn),
		RoleServiceClient:       userv1.NewRoleServiceClient(conn),
		ApiTokenServiceClient:   userv1.NewApiTokenServiceClient(conn),
		SessionServiceClient:    userv1.NewSessionServiceClient(conn),
		ComplianceServiceClient: userv1.NewComplianceServiceClient(conn),
		conn:                    conn,
	}, nil
}

// Conn is the underlying connection, for services this package does not wrap.
func (c *Client) Conn() *grpc.ClientConn { return c.conn }

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

func serviceConfig() string {
	type name struct {
		Service string `json:"service"`
		Method  string `json:"method"`
	}
	var names []name
	for service, methods := range ReadMethods {
		for _, method := range methods {
			names = append(names, name{service, method})
		}
	}
	config := map[string]any{"methodConfig": []any{map[string]any{
		"name": names,
		"retryPolicy": map[string]any{
			"maxAttempts":          5,
			"initialBackoff":       "0.1s",
			"maxBackoff":           "2s",
			"backoffMultiplier":    2,
			"retryableStatusCodes": []string{"UNAVAILABLE"},
		},
	}}}
	encoded, err := json.Marshal(config)
	if err != nil {
		panic(err) // only plain maps and strings: cannot fail
	}
	return string(encoded)
}

func defaultDeadline(timeout time.Duration) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn,
		invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if _, ok := ctx.Deadline(); !ok && timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, timeout)
			defer cancel()
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}
