package schema1

import (
	"crypto"
	"crypto/ecdsa"
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

	jose "github.com/go-jose/go-jose/v4"
)

// keyFromJWK parses an EC (P-256/384/521) or RSA JWK with go-jose; private
// members, if any, are ignored as libtrust did. A "kid", when present, must
// be the key's libtrust fingerprint (either of the two definitions libtrust
// used over time).
func keyFromJWK(raw json.RawMessage) (crypto.PublicKey, error) {
	var k jose.JSONWebKey
	if err := json.Unmarshal(raw, &k); err != nil {
		return nil, fmt.Errorf("jwk: %w", err)
	}
	// go-jose cannot tell an absent "kid" from an empty one, and it
	// neither bounds nor validates an RSA exponent (it truncates long ones).
	var extra struct {
		Kid *string `json:"kid"`
		E   string  `json:"e"`
	}
	if err := json.Unmarshal(raw, &extra); err != nil {
		return nil, fmt.Errorf("jwk: %w", err)
	}
	pub := k.Public().Key
	if !supportedKey(pub) {
		return nil, fmt.Errorf("jwk: unsupported key type %T", k.Key)
	}
	if r, ok := pub.(*rsa.PublicKey); ok {
		if e, _ := base64.RawURLEncoding.DecodeString(extra.E); len(e) > 4 || r.E < 2 || r.N.Sign() == 0 {
			return nil, errors.New("jwk: invalid RSA modulus or exponent")
		}
	}
	if kid := extra.Kid; kid != nil && *kid != earlyKeyID(pub) && *kid != derKeyID(pub) {
		return nil, fmt.Errorf("jwk: key ID %q does not match the key", *kid)
	}
	return pub, nil
}

// keyFromCertificate returns the public key of a base64 (standard
// encoding) DER certificate, as found in an x5c header.
func keyFromCertificate(b64 string) (crypto.PublicKey, error) {
	der, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("x5c: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("x5c: %w", err)
	}
	if !supportedKey(cert.PublicKey) {
		return nil, fmt.Errorf("x5c: unsupported public key type %T", cert.PublicKey)
	}
	return cert.PublicKey, nil
}

// supportedKey admits the key types libtrust signs with: ECDSA and RSA
// (go-jose checks the curve against the signature algorithm).
func supportedKey(pub crypto.PublicKey) bool {
	switch pub.(type) {
	case *ecdsa.PublicKey, *rsa.PublicKey:
		return true
	}
	return false
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

// earlyKeyID is libtrust's early key fingerprint: of the key type (and
// curve) followed by the key's integers as minimal big-endian bytes.
func earlyKeyID(pub crypto.PublicKey) string {
	h := sha256.New()
	switch pub := pub.(type) {
	case *ecdsa.PublicKey:
		h.Write([]byte("EC" + pub.Curve.Params().Name))
		h.Write(pub.X.Bytes())
		h.Write(pub.Y.Bytes())
	case *rsa.PublicKey:
		h.Write([]byte("RSA"))
		h.Write(pub.N.Bytes())
		h.Write(big.NewInt(int64(pub.E)).Bytes())
	}
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
