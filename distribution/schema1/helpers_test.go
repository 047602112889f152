package schema1

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/plugins/content/local"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
)

// This file builds schema 1 manifests for tests: the document layout of
// docker/distribution (3-space indent), signed like libtrust's pretty JWS
// with EC or RSA keys.

// emptyGzipDigest is the blob schema 1 uses for throwaway entries.
const emptyGzipDigest = digest.Digest("sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4")

// step is one history entry, oldest first.
type step struct {
	blob      digest.Digest
	throwaway bool
	cmd       []string       // container_config.Cmd
	extra     map[string]any // more v1 JSON keys (newest entry: config etc.)
}

// v1ID gives step i a deterministic v1 ID.
func v1ID(i int) string { return digest.FromString(fmt.Sprintf("v1-%d", i)).Encoded() }

// manifestDoc renders steps (oldest first) as a schema 1 document map.
func manifestDoc(name, tag string, steps []step) map[string]any {
	n := len(steps)
	fsLayers := make([]any, n)
	history := make([]any, n)
	for i, s := range steps {
		v1 := map[string]any{
			"id":               v1ID(i),
			"created":          time.Date(2016, 1, 1, 0, 0, i, 0, time.UTC).Format(time.RFC3339Nano),
			"container_config": map[string]any{"Cmd": s.cmd},
		}
		if i > 0 {
			v1["parent"] = v1ID(i - 1)
		}
		if s.throwaway {
			v1["throwaway"] = true
		}
		for k, v := range s.extra {
			v1[k] = v
		}
		j, err := json.Marshal(v1)
		if err != nil {
			panic(err)
		}
		k := n - 1 - i
		fsLayers[k] = map[string]any{"blobSum": s.blob}
		history[k] = map[string]any{"v1Compatibility": string(j)}
	}
	return map[string]any{
		"schemaVersion": 1, "name": name, "tag": tag, "architecture": "amd64",
		"fsLayers": fsLayers, "history": history,
	}
}

// render marshals a document the way distribution does (3-space indent).
func render(t testing.TB, doc any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(doc, "", "   ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testKey signs JWS with one key.
type testKey struct {
	signer crypto.Signer
	jwk    map[string]string
	alg    string
	hash   crypto.Hash
	size   int      // EC coordinate size; 0 for RSA
	x5c    []string // when set, the header names the key by certificate
}

// withCertificate makes k sign with an x5c header (a self-signed
// certificate of its key) instead of a JWK.
func withCertificate(t testing.TB, k testKey) testKey {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<32, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.signer.Public(), k.signer)
	if err != nil {
		t.Fatal(err)
	}
	k.x5c = []string{base64.StdEncoding.EncodeToString(der)}
	return k
}

func newECKey(t testing.TB, curve elliptic.Curve) testKey {
	t.Helper()
	priv, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	point, err := priv.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	size := (len(point) - 1) / 2
	k := testKey{signer: priv, size: size, jwk: map[string]string{
		"kty": "EC", "crv": curve.Params().Name,
		"x": b64(point[1 : 1+size]), "y": b64(point[1+size:]),
		"kid": testKeyID(t, &priv.PublicKey),
	}}
	switch curve {
	case elliptic.P256():
		k.alg, k.hash = "ES256", crypto.SHA256
	case elliptic.P384():
		k.alg, k.hash = "ES384", crypto.SHA384
	default:
		k.alg, k.hash = "ES512", crypto.SHA512
	}
	return k
}

func newRSAKey(t testing.TB) testKey {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return testKey{signer: priv, alg: "RS256", hash: crypto.SHA256, jwk: map[string]string{
		"kty": "RSA",
		"n":   b64(priv.N.Bytes()),
		"e":   b64(big.NewInt(int64(priv.E)).Bytes()),
		"kid": testKeyID(t, &priv.PublicKey),
	}}
}

// withEarlyKeyID gives an EC key the key ID early libtrust computed: of
// "EC" + curve name + the coordinates as minimal big-endian integers.
func withEarlyKeyID(k testKey) testKey {
	x, _ := base64.RawURLEncoding.DecodeString(k.jwk["x"])
	y, _ := base64.RawURLEncoding.DecodeString(k.jwk["y"])
	h := sha256.New()
	h.Write([]byte("EC" + k.jwk["crv"]))
	h.Write(new(big.Int).SetBytes(x).Bytes())
	h.Write(new(big.Int).SetBytes(y).Bytes())
	s := base32.StdEncoding.EncodeToString(h.Sum(nil)[:30])
	var groups []string
	for i := 0; i < len(s); i += 4 {
		groups = append(groups, s[i:i+4])
	}
	jwk := map[string]string{}
	for key, v := range k.jwk {
		jwk[key] = v
	}
	jwk["kid"] = strings.Join(groups, ":")
	k.jwk = jwk
	return k
}

// testKeyID is libtrust's current fingerprint (of the DER public key).
func testKeyID(t testing.TB, pub crypto.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(der)
	s := base32.StdEncoding.EncodeToString(sum[:30])
	var groups []string
	for i := 0; i < len(s); i += 4 {
		groups = append(groups, s[i:i+4])
	}
	return strings.Join(groups, ":")
}

func (k testKey) sign(t testing.TB, input []byte) []byte {
	t.Helper()
	h := k.hash.New()
	h.Write(input)
	sum := h.Sum(nil)
	if k.size == 0 {
		sig, err := rsa.SignPKCS1v15(rand.Reader, k.signer.(*rsa.PrivateKey), k.hash, sum)
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
	r, s, err := ecdsa.Sign(rand.Reader, k.signer.(*ecdsa.PrivateKey), sum)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, 2*k.size)
	r.FillBytes(out[:k.size])
	s.FillBytes(out[k.size:])
	return out
}

// signPretty signs payload with every key and splices the signatures in
// as libtrust's PrettySignature does.
func signPretty(t testing.TB, payload []byte, keys ...testKey) []byte {
	t.Helper()
	closing := bytes.LastIndexByte(payload, '}')
	formatLength := len(bytes.TrimRight(payload[:closing], " \t\r\n"))
	protectedJSON, _ := json.Marshal(map[string]any{
		"formatLength": formatLength,
		"formatTail":   b64(payload[formatLength:]),
		"time":         "2016-01-01T00:00:00Z",
	})
	protected := b64(protectedJSON)
	var sigs []map[string]any
	for _, k := range keys {
		sig := k.sign(t, []byte(protected+"."+b64(payload)))
		header := map[string]any{"jwk": k.jwk, "alg": k.alg}
		if k.x5c != nil {
			header = map[string]any{"x5c": k.x5c, "alg": k.alg}
		}
		sigs = append(sigs, map[string]any{
			"header":    header,
			"signature": b64(sig),
			"protected": protected,
		})
	}
	marshalled, err := json.MarshalIndent(sigs, "   ", "   ")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	buf.Write(payload[:formatLength])
	buf.WriteString(",\n   \"signatures\": ")
	buf.Write(marshalled)
	buf.WriteString("\n}")
	return buf.Bytes()
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// newStore is a local content store with labels kept in memory.
func newStore(t testing.TB) content.Store {
	t.Helper()
	cs, err := local.NewLabeledStore(t.TempDir(), &memLabels{m: map[digest.Digest]map[string]string{}})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

type memLabels struct {
	mu sync.Mutex
	m  map[digest.Digest]map[string]string
}

func (s *memLabels) Get(d digest.Digest) (map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]string{}
	for k, v := range s.m[d] {
		out[k] = v
	}
	return out, nil
}

func (s *memLabels) Set(d digest.Digest, labels map[string]string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[d] = labels
	return nil
}

func (s *memLabels) Update(d digest.Digest, update map[string]string) (map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.m[d]
	if cur == nil {
		cur = map[string]string{}
	}
	for k, v := range update {
		if v == "" {
			delete(cur, k)
		} else {
			cur[k] = v
		}
	}
	s.m[d] = cur
	out := map[string]string{}
	for k, v := range cur {
		out[k] = v
	}
	return out, nil
}

// wantInvalid fails unless err is an invalid-argument error.
func wantInvalid(t testing.TB, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("expected an error")
	}
	if !errdefs.IsInvalidArgument(err) {
		t.Fatalf("error %q (%T) is not invalid argument", err, err)
	}
}
