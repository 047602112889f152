package config

import (
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/docker/go-connections/tlsconfig"
)

// The API's TLS options are dockerd's: --tls serves the TCP sockets over
// TLS; --tlsverify (set at all, even to false, as dockerd reads it) does
// too and, when true, requires a client certificate signed by --tlscacert.
// Unix sockets never use TLS.

// DefaultTLSFile is where dockerd looks for a TLS file by default: in
// $DOCKER_CERT_PATH, else ~/.docker (ca.pem, cert.pem, key.pem).
func DefaultTLSFile(name string) string {
	dir := os.Getenv("DOCKER_CERT_PATH")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			home = "/root"
		}
		dir = filepath.Join(home, ".docker")
	}
	return filepath.Join(dir, name)
}

// TLSEnabled reports whether the TCP sockets serve TLS.
func (c *Config) TLSEnabled() bool {
	return (c.TLS != nil && *c.TLS) || c.TLSVerify != nil
}

// ServerTLS is the TLS configuration of the TCP sockets, nil without TLS.
// It reads the certificate, the key and (with tlsverify) the CA, so a
// wrong path or file is an error before anything listens.
func (c *Config) ServerTLS() (*tls.Config, error) {
	if !c.TLSEnabled() {
		return nil, nil
	}
	// Only tlscacert signs client certificates (not the system's CAs), as in dockerd.
	opts := tlsconfig.Options{CertFile: c.TLSCert, KeyFile: c.TLSKey, ClientAuth: tls.RequestClientCert, ExclusiveRootPools: true}
	if c.TLSVerify != nil && *c.TLSVerify {
		opts.CAFile, opts.ClientAuth = c.TLSCACert, tls.RequireAndVerifyClientCert
	}
	cfg, err := tlsconfig.Server(opts)
	if err != nil {
		return nil, fmt.Errorf("invalid TLS configuration: %w", err)
	}
	return cfg, nil
}

// OptionalBool is a boolean flag that tells "not given" (nil) from false,
// for --tls and --tlsverify; `--tlsverify` alone means true.
type OptionalBool struct{ p **bool }

// NewOptionalBool is the flag value that sets *p.
func NewOptionalBool(p **bool) *OptionalBool { return &OptionalBool{p: p} }

func (b *OptionalBool) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	*b.p = &v
	return nil
}

func (b *OptionalBool) String() string {
	if b.p == nil || *b.p == nil {
		return "false"
	}
	return strconv.FormatBool(**b.p)
}

func (b *OptionalBool) Type() string { return "bool" }
