package authtuna_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/authtuna/authtuna-grpc/clients/go/authtuna"
)

// The server the integration tests and examples talk to: AUTHTUNA_ADDRESS and
// AUTHTUNA_TOKEN when the environment names one, otherwise `authtuna-grpc serve`
// (from PATH) on a fresh SQLite database, started here for the whole run.
var (
	liveAddress string
	liveToken   string
)

func TestMain(m *testing.M) {
	os.Exit(runWithServer(m))
}

func runWithServer(m *testing.M) int {
	liveAddress, liveToken = os.Getenv("AUTHTUNA_ADDRESS"), os.Getenv("AUTHTUNA_TOKEN")
	if liveAddress == "" {
		stop, err := startServer()
		if err != nil {
			fmt.Fprintln(os.Stderr, "authtuna tests: cannot start authtuna-grpc serve:", err)
			return 1
		}
		defer stop()
		// The examples read the server from the environment, as a program would.
		_ = os.Setenv("AUTHTUNA_ADDRESS", liveAddress)
		_ = os.Setenv("AUTHTUNA_TOKEN", liveToken)
	}
	return m.Run()
}

func startServer() (stop func(), err error) {
	dir, err := os.MkdirTemp("", "authtuna-go-test-")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	liveAddress = fmt.Sprintf("127.0.0.1:%d", port)
	liveToken = "atk_go-test-" + randomHex(16)
	log, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("authtuna-grpc", "serve")
	cmd.Env = append(os.Environ(),
		"AUTHTUNA_DATABASE_URL=sqlite+aiosqlite:///"+filepath.Join(dir, "authtuna.db"),
		"AUTHTUNA_LISTEN="+liveAddress,
		"AUTHTUNA_BOOTSTRAP_TOKEN="+liveToken,
		// Cheap password hashing: the tests measure behaviour, not argon2.
		"AUTHTUNA_ARGON2_TIME_COST=1", "AUTHTUNA_ARGON2_MEMORY_KIB=64",
	)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	stop = func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		_ = log.Close()
		_ = os.RemoveAll(dir)
	}
	if err := waitServing(liveAddress, 30*time.Second); err != nil {
		stop()
		return nil, err
	}
	return stop, nil
}

func waitServing(addr string, limit time.Duration) error {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	health := healthpb.NewHealthClient(conn)
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		resp, err := health.Check(ctx, &healthpb.HealthCheckRequest{})
		cancel()
		if err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("%s was not SERVING within %s", addr, limit)
}

func freePort() (int, error) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer listener.Close()
	return listener.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// unique makes names that cannot collide with an earlier run on a shared server.
func unique(prefix string) string { return prefix + "-" + randomHex(4) }

// dial connects in plaintext (the test servers have no TLS), with token unless "".
func dial(t *testing.T, addr, token string, opts ...authtuna.Option) *authtuna.Client {
	t.Helper()
	all := []authtuna.Option{authtuna.WithInsecure()}
	if token != "" {
		all = append(all, authtuna.WithToken(token))
	}
	client, err := authtuna.Dial(context.Background(), addr, append(all, opts...)...)
	if err != nil {
		t.Fatalf("Dial(%s): %v", addr, err)
	}
	t.Cleanup(func() { _ = client.Close() })
	return client
}
