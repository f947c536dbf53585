package authtuna

import (
	"context"
	"crypto/tls"
	"errors"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// Option configures Dial.
type Option func(*settings)

type settings struct {
	token     string
	tlsConfig *tls.Config
	tlsChosen bool
	insecure  bool
	timeout   time.Duration
	extra     []grpc.DialOption
}

func newSettings(opts []Option) *settings {
	s := &settings{timeout: DefaultTimeout}
	for _, opt := range opts {
		opt(s)
	}
	return s
}

// WithToken sends `authorization: Bearer <token>` with every call.
func WithToken(token string) Option { return func(s *settings) { s.token = token } }

// WithTLS connects over TLS with this configuration (root CAs, a client
// certificate for mutual TLS, ...); nil means the system roots, which is also
// what Dial uses without WithTLS or WithInsecure.
func WithTLS(config *tls.Config) Option {
	return func(s *settings) { s.tlsConfig, s.tlsChosen = config, true }
}

// WithInsecure connects in plaintext, e.g. to a server on localhost or behind a
// TLS-terminating sidecar. The token is then sent in the clear: the choice has to
// be explicit.
func WithInsecure() Option { return func(s *settings) { s.insecure = true } }

// WithTimeout sets the deadline of unary calls whose context has none
// (DefaultTimeout otherwise); 0 means no default deadline. Streams get none.
func WithTimeout(timeout time.Duration) Option {
	return func(s *settings) { s.timeout = timeout }
}

// WithDialOptions adds gRPC dial options (interceptors, keepalive, ...).
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(s *settings) { s.extra = append(s.extra, opts...) }
}

func (s *settings) dialOptions() ([]grpc.DialOption, error) {
	if s.insecure && s.tlsChosen {
		return nil, errors.New("authtuna: WithTLS and WithInsecure exclude each other")
	}
	transport := credentials.NewTLS(s.tlsConfig)
	if s.insecure {
		transport = insecure.NewCredentials()
	}
	opts := []grpc.DialOption{
		grpc.WithTransportCredentials(transport),
		grpc.WithDefaultServiceConfig(serviceConfig()),
		grpc.WithChainUnaryInterceptor(defaultDeadline(s.timeout)),
	}
	if s.token != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(bearer{token: s.token, requireTLS: !s.insecure}))
	}
	return append(opts, s.extra...), nil
}

// bearer sends the token with every call. It demands a secure transport unless
// the caller chose plaintext with WithInsecure.
type bearer struct {
	token      string
	requireTLS bool
}

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + b.token}, nil
}

func (b bearer) RequireTransportSecurity() bool { return b.requireTLS }
