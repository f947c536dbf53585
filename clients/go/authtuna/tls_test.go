package authtuna_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	"github.com/authtuna/authtuna-grpc/clients/go/authtuna"
	userv1 "github.com/authtuna/authtuna-grpc/clients/go/userv1"
)

// issue makes a certificate for name signed by parent (self-signed when parent is nil).
func issue(t *testing.T, name string, parent *tls.Certificate, isCA bool) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	template := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Minute),
		NotAfter:     time.Now().Add(time.Hour),
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		IsCA:         isCA, BasicConstraintsValid: true,
	}
	signer, signerKey := template, any(key)
	if parent != nil {
		signer, signerKey = parent.Leaf, parent.PrivateKey
	}
	der, err := x509.CreateCertificate(rand.Reader, template, signer, &key.PublicKey, signerKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

func TestMutualTLSSendsTheTokenAsABearerCredential(t *testing.T) {
	ca := issue(t, "test-ca", nil, true)
	roots := x509.NewCertPool()
	roots.AddCert(ca.Leaf)
	serverCert, clientCert := issue(t, "server", &ca, false), issue(t, "client", &ca, false)

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	users := &standIn{failures: map[string]int{}, attempts: map[string]int{},
		deadlines: map[string]time.Duration{}, credentials: map[string][]string{}}
	server := grpc.NewServer(grpc.Creds(credentials.NewTLS(&tls.Config{
		Certificates: []tls.Certificate{serverCert}, ClientCAs: roots, ClientAuth: tls.RequireAndVerifyClientCert,
	})))
	userv1.RegisterUserServiceServer(server, users)
	go func() { _ = server.Serve(listener) }()
	t.Cleanup(server.Stop)

	client, err := authtuna.Dial(context.Background(), listener.Addr().String(), authtuna.WithToken("atk_tls"),
		authtuna.WithTLS(&tls.Config{RootCAs: roots, Certificates: []tls.Certificate{clientCert}, ServerName: "localhost"}))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if _, err := client.GetUser(context.Background(), byUsername); err != nil {
		t.Fatalf("GetUser over mutual TLS: %v", err)
	}
	if got := users.credentials["GetUser"]; len(got) != 1 || got[0] != "Bearer atk_tls" {
		t.Fatalf("authorization metadata = %v, want [Bearer atk_tls]", got)
	}

	noClientCert, err := authtuna.Dial(context.Background(), listener.Addr().String(), authtuna.WithToken("atk_tls"),
		authtuna.WithTLS(&tls.Config{RootCAs: roots, ServerName: "localhost"}))
	if err != nil {
		t.Fatal(err)
	}
	defer noClientCert.Close()
	_, err = noClientCert.CreateUser(context.Background(), &userv1.CreateUserRequest{})
	if status.Code(err) != codes.Unavailable || users.attempts["CreateUser"] != 0 {
		t.Fatalf("without a client certificate: %v, want UNAVAILABLE before reaching the server", err)
	}
}
