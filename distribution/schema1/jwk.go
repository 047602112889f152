package schema1

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"

	// Hash implementations used by the JWS algorithms.
	_ "crypto/sha512"
)

// verifier checks a JWS signature made with one public key.
type verifier interface {
	verify(signed []byte, alg string, sig []byte) error
}

type ecKey struct {
	pub  *ecdsa.PublicKey
	alg  string
	hash crypto.Hash
}

type rsaKey struct{ pub *rsa.PublicKey }

// jwk is the subset of a JSON Web Key libtrust writes.
type jwk struct {
	Kty string  `json:"kty"`
	Kid *string `json:"kid"`
	Crv string  `json:"crv"`
	X   string  `json:"x"`
	Y   string  `json:"y"`
	N   string  `json:"n"`
	E   string  `json:"e"`
}

// keyFromJWK parses an EC (P-256/384/521) or RSA public JWK. A "kid", when
// present, must be the key's libtrust fingerprint (either of the two
// definitions libtrust used over time).
func keyFromJWK(raw json.RawMessage) (verifier, error) {
	var k jwk
	if err := json.Unmarshal(raw, &k); err != nil {
		return nil, fmt.Errorf("jwk: %w", err)
	}
	var (
		v          verifier
		pub        crypto.PublicKey
		earlyKeyID string
	)
	switch k.Kty {
	case "EC":
		key, id, err := ecKeyFromJWK(k)
		if err != nil {
			return nil, err
		}
		v, pub, earlyKeyID = key, key.pub, id
	case "RSA":
		key, err := rsaKeyFromJWK(k)
		if err != nil {
			return nil, err
		}
		v, pub, earlyKeyID = key, key.pub, rsaKeyID(key.pub)
	default:
		return nil, fmt.Errorf("jwk: unsupported key type %q", k.Kty)
	}
	if k.Kid != nil && *k.Kid != earlyKeyID && *k.Kid != derKeyID(pub) {
		return nil, fmt.Errorf("jwk: key ID %q does not match the key", *k.Kid)
	}
	return v, nil
}

func ecCurve(crv string) (elliptic.Curve, string, crypto.Hash, error) {
	switch crv {
	case "P-256":
		return elliptic.P256(), "ES256", crypto.SHA256, nil
	case "P-384":
		return elliptic.P384(), "ES384", crypto.SHA384, nil
	case "P-521":
		return elliptic.P521(), "ES512", crypto.SHA512, nil
	}
	return nil, "", 0, fmt.Errorf("jwk: unsupported curve %q", crv)
}

func ecKeyFromJWK(k jwk) (*ecKey, string, error) {
	curve, alg, hash, err := ecCurve(k.Crv)
	if err != nil {
		return nil, "", err
	}
	size := (curve.Params().BitSize + 7) / 8
	x, err := joseDecode(k.X)
	if err != nil || len(x) != size {
		return nil, "", fmt.Errorf("jwk: x must be %d base64url bytes", size)
	}
	y, err := joseDecode(k.Y)
	if err != nil || len(y) != size {
		return nil, "", fmt.Errorf("jwk: y must be %d base64url bytes", size)
	}
	point := append(append([]byte{4}, x...), y...)
	pub, err := ecdsa.ParseUncompressedPublicKey(curve, point)
	if err != nil {
		return nil, "", fmt.Errorf("jwk: %w", err)
	}
	return &ecKey{pub: pub, alg: alg, hash: hash}, ecKeyID(k.Crv, x, y), nil
}

func rsaKeyFromJWK(k jwk) (*rsaKey, error) {
	n, err := joseDecode(k.N)
	if err != nil || len(n) == 0 {
		return nil, fmt.Errorf("jwk: invalid modulus: %v", err)
	}
	e, err := joseDecode(k.E)
	if err != nil || len(e) == 0 || len(e) > 4 {
		return nil, fmt.Errorf("jwk: invalid exponent: %v", err)
	}
	exp := new(big.Int).SetBytes(e).Int64()
	if exp < 2 {
		return nil, errors.New("jwk: invalid exponent")
	}
	return &rsaKey{pub: &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(exp)}}, nil
}

// keyFromCertificate returns the public key of a base64 (standard
// encoding) DER certificate, as found in an x5c header.
func keyFromCertificate(b64 string) (verifier, error) {
	der, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("x5c: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("x5c: %w", err)
	}
	switch pub := cert.PublicKey.(type) {
	case *ecdsa.PublicKey:
		_, alg, hash, err := ecCurve(pub.Curve.Params().Name)
		if err != nil {
			return nil, err
		}
		return &ecKey{pub: pub, alg: alg, hash: hash}, nil
	case *rsa.PublicKey:
		return &rsaKey{pub: pub}, nil
	}
	return nil, fmt.Errorf("x5c: unsupported public key type %T", cert.PublicKey)
}

// verify checks a JWS ECDSA signature: r||s, each the curve's byte size.
func (k *ecKey) verify(signed []byte, alg string, sig []byte) error {
	if alg != k.alg {
		return fmt.Errorf("algorithm %q does not match the %s key", alg, k.pub.Curve.Params().Name)
	}
	size := (k.pub.Curve.Params().BitSize + 7) / 8
	if len(sig) != 2*size {
		return fmt.Errorf("signature is %d bytes, want %d", len(sig), 2*size)
	}
	h := k.hash.New()
	h.Write(signed)
	r := new(big.Int).SetBytes(sig[:size])
	s := new(big.Int).SetBytes(sig[size:])
	if !ecdsa.Verify(k.pub, h.Sum(nil), r, s) {
		return errors.New("invalid signature")
	}
	return nil
}

// verify checks an RS256/RS384/RS512 (PKCS #1 v1.5) signature.
func (k *rsaKey) verify(signed []byte, alg string, sig []byte) error {
	var hash crypto.Hash
	switch alg {
	case "RS256":
		hash = crypto.SHA256
	case "RS384":
		hash = crypto.SHA384
	case "RS512":
		hash = crypto.SHA512
	default:
		return fmt.Errorf("algorithm %q is not supported for RSA keys", alg)
	}
	h := hash.New()
	h.Write(signed)
	if err := rsa.VerifyPKCS1v15(k.pub, hash, h.Sum(nil), sig); err != nil {
		return fmt.Errorf("invalid %s signature: %w", alg, err)
	}
	return nil
}

// derKeyID is libtrust's current key fingerprint: of the DER
// SubjectPublicKeyInfo.
func derKeyID(pub crypto.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(der)
	return fingerprint(sum[:])
}

// ecKeyID is libtrust's early key fingerprint of an EC key: the coordinates
// are hashed as minimal big-endian integers (no leading zeros).
func ecKeyID(crv string, x, y []byte) string {
	h := sha256.New()
	h.Write([]byte("EC" + crv))
	h.Write(bytes.TrimLeft(x, "\x00"))
	h.Write(bytes.TrimLeft(y, "\x00"))
	return fingerprint(h.Sum(nil))
}

// rsaKeyID is libtrust's early key fingerprint of an RSA key.
func rsaKeyID(pub *rsa.PublicKey) string {
	h := sha256.New()
	h.Write([]byte("RSA"))
	h.Write(pub.N.Bytes())
	h.Write(big.NewInt(int64(pub.E)).Bytes())
	return fingerprint(h.Sum(nil))
}

// fingerprint formats the first 240 bits of a hash as twelve
// colon-separated groups of four base32 characters.
func fingerprint(sum []byte) string {
	s := base32.StdEncoding.EncodeToString(sum[:30])
	groups := make([]string, 0, len(s)/4)
	for i := 0; i+4 <= len(s); i += 4 {
		groups = append(groups, s[i:i+4])
	}
	return strings.Join(groups, ":")
}
