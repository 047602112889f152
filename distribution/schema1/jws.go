package schema1

import (
	"bytes"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
)

// A signed schema 1 manifest is libtrust's "pretty" JWS serialization: the
// manifest JSON with a "signatures" member spliced in before its closing
// brace. Each signature's protected header records how to cut the
// signatures out again: the payload is the first formatLength bytes of the
// document followed by formatTail. Each signature is then an ordinary JWS
// (alg and jwk or x5c in the unprotected header), verified with go-jose.

// jwsAlgorithms are the algorithms libtrust signs with.
var jwsAlgorithms = []jose.SignatureAlgorithm{
	jose.ES256, jose.ES384, jose.ES512, jose.RS256, jose.RS384, jose.RS512,
}

// jwsSignature is one element of the "signatures" array.
type jwsSignature struct {
	Header struct {
		JWK   json.RawMessage `json:"jwk"`
		Alg   string          `json:"alg"`
		Chain []string        `json:"x5c"`
	} `json:"header"`
	Signature string `json:"signature"`
	Protected string `json:"protected"`
}

// jwsProtected is the decoded protected header.
type jwsProtected struct {
	FormatLength *int    `json:"formatLength"`
	FormatTail   *string `json:"formatTail"`
	// go-jose would let these change the algorithm or the signing input;
	// libtrust ignores them.
	Alg *string `json:"alg"`
	B64 *bool   `json:"b64"`
}

// verifiedPayload checks every signature of a pretty JWS document and
// returns the signed payload (the manifest without its signatures).
func verifiedPayload(doc []byte, sigs []jwsSignature) ([]byte, error) {
	if len(sigs) == 0 {
		return nil, errors.New("signatures array is empty")
	}
	var (
		length = -1
		tail   []byte
	)
	for i, sig := range sigs {
		l, t, err := sig.format()
		if err != nil {
			return nil, fmt.Errorf("signature %d: %w", i, err)
		}
		if length == -1 {
			length, tail = l, t
		} else if l != length || !bytes.Equal(t, tail) {
			return nil, fmt.Errorf("signature %d: conflicting format length or tail", i)
		}
	}
	if length > len(doc) {
		return nil, fmt.Errorf("format length %d exceeds the manifest size %d", length, len(doc))
	}
	payload := make([]byte, 0, length+len(tail))
	payload = append(payload, doc[:length]...)
	payload = append(payload, tail...)

	encPayload := joseEncode(payload)
	for i, sig := range sigs {
		if err := sig.verify(encPayload); err != nil {
			return nil, fmt.Errorf("signature %d: %w", i, err)
		}
	}
	return payload, nil
}

// format decodes the protected header's formatLength and formatTail.
func (s jwsSignature) format() (int, []byte, error) {
	raw, err := joseDecode(s.Protected)
	if err != nil {
		return 0, nil, fmt.Errorf("protected header: %w", err)
	}
	// libtrust signs the protected string as it is, go-jose its canonical
	// re-encoding: they must be the same.
	if joseEncode(raw) != s.Protected {
		return 0, nil, errors.New("protected header is not canonical base64url")
	}
	var p jwsProtected
	if err := json.Unmarshal(raw, &p); err != nil {
		return 0, nil, fmt.Errorf("protected header: %w", err)
	}
	if p.FormatLength == nil || p.FormatTail == nil {
		return 0, nil, errors.New("protected header lacks formatLength or formatTail")
	}
	if *p.FormatLength < 0 {
		return 0, nil, fmt.Errorf("invalid format length %d", *p.FormatLength)
	}
	if (p.Alg != nil && *p.Alg != s.Header.Alg) || (p.B64 != nil && !*p.B64) {
		return 0, nil, errors.New("protected header alg or b64 conflicts with the signature header")
	}
	tail, err := joseDecode(*p.FormatTail)
	if err != nil {
		return 0, nil, fmt.Errorf("format tail: %w", err)
	}
	return *p.FormatLength, tail, nil
}

// verify checks the signature over "<protected>.<encPayload>" with
// go-jose, as a flattened JWS JSON serialization.
func (s jwsSignature) verify(encPayload string) error {
	key, err := s.publicKey()
	if err != nil {
		return err
	}
	sig, err := joseDecode(s.Signature)
	if err != nil {
		return fmt.Errorf("signature encoding: %w", err)
	}
	flattened, err := json.Marshal(map[string]any{
		"payload":   encPayload,
		"protected": s.Protected,
		"header":    map[string]string{"alg": s.Header.Alg},
		"signature": joseEncode(sig),
	})
	if err != nil {
		return err
	}
	jws, err := jose.ParseSignedJSON(string(flattened), jwsAlgorithms)
	if err != nil {
		return err
	}
	if _, err := jws.Verify(key); err != nil {
		return fmt.Errorf("invalid signature: %w", err)
	}
	return nil
}

// publicKey is the key of the signature: the first certificate of an x5c
// chain (the chain itself is not checked, as libtrust's Verify) or the JWK.
func (s jwsSignature) publicKey() (crypto.PublicKey, error) {
	if len(s.Header.Chain) > 0 {
		return keyFromCertificate(s.Header.Chain[0])
	}
	if len(s.Header.JWK) == 0 || string(s.Header.JWK) == "null" {
		return nil, errors.New("missing public key (no jwk or x5c)")
	}
	return keyFromJWK(s.Header.JWK)
}

// joseEncode is unpadded base64url.
func joseEncode(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// joseDecode decodes base64url with or without padding (and, as libtrust,
// ignores spaces and newlines).
func joseDecode(s string) ([]byte, error) {
	s = strings.NewReplacer("\n", "", " ", "").Replace(s)
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}
