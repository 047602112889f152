package schema1

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/json"
	"strings"
	"testing"
)

// signWith signs payload with k as signPretty does, with extra members in
// the protected header and edit, when set, applied to the signature object.
func signWith(t *testing.T, payload []byte, k testKey, protected map[string]any, edit func(sig, header map[string]any)) []byte {
	t.Helper()
	closing := bytes.LastIndexByte(payload, '}')
	formatLength := len(bytes.TrimRight(payload[:closing], " \t\r\n"))
	p := map[string]any{"formatLength": formatLength, "formatTail": b64(payload[formatLength:])}
	for key, v := range protected {
		p[key] = v
	}
	pj, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	enc := b64(pj)
	jwk := map[string]any{}
	for key, v := range k.jwk {
		jwk[key] = v
	}
	header := map[string]any{"jwk": jwk, "alg": k.alg}
	sig := map[string]any{
		"header":    header,
		"signature": b64(k.sign(t, []byte(enc+"."+b64(payload)))),
		"protected": enc,
	}
	if edit != nil {
		edit(sig, header)
	}
	j, err := json.Marshal([]any{sig})
	if err != nil {
		t.Fatal(err)
	}
	out := append([]byte(nil), payload[:formatLength]...)
	return append(out, `,"signatures":`+string(j)+"}"...)
}

func TestParseSignatureVariants(t *testing.T) {
	payload := render(t, manifestDoc("r", "t", threeSteps()))
	ec := newECKey(t, elliptic.P256())
	rsa := newRSAKey(t)
	jwkSet := func(kv ...string) func(sig, header map[string]any) {
		return func(sig, header map[string]any) {
			for i := 0; i < len(kv); i += 2 {
				header["jwk"].(map[string]any)[kv[i]] = kv[i+1]
			}
		}
	}
	d := ec.signer.(*ecdsa.PrivateKey).D.FillBytes(make([]byte, 32))

	for name, signed := range map[string][]byte{
		"protected alg": signWith(t, payload, ec, map[string]any{"alg": "ES256"}, nil),
		"b64 true":      signWith(t, payload, ec, map[string]any{"b64": true}, nil),
		"no kid": signWith(t, payload, ec, nil, func(_, header map[string]any) {
			delete(header["jwk"].(map[string]any), "kid")
		}),
		"padded signature": signWith(t, payload, ec, nil, func(sig, _ map[string]any) {
			sig["signature"] = sig["signature"].(string) + "="
		}),
		"spaced signature": signWith(t, payload, ec, nil, func(sig, _ map[string]any) {
			s := sig["signature"].(string)
			sig["signature"] = s[:10] + " \n" + s[10:]
		}),
		"private member ignored": signWith(t, payload, ec, nil, jwkSet("d", b64(d))),
		"rsa 4-byte exponent":    signWith(t, payload, rsa, nil, jwkSet("e", b64([]byte{0, 1, 0, 1}))),
	} {
		t.Run(name, func(t *testing.T) {
			m, _, err := Parse(signed, MediaTypeSignedManifest)
			if err != nil {
				t.Fatal(err)
			}
			if !m.Signed() || !bytes.Equal(m.Payload(), payload) {
				t.Fatal("payload not recovered")
			}
		})
	}

	for name, c := range map[string]struct {
		signed []byte
		want   string
	}{
		"protected alg conflict": {signWith(t, payload, ec, map[string]any{"alg": "ES384"}, nil), "conflicts"},
		"b64 false":              {signWith(t, payload, ec, map[string]any{"b64": false, "crit": []string{"b64"}}, nil), "conflicts"},
		"padded protected": {signWith(t, payload, ec, nil, func(sig, _ map[string]any) {
			sig["protected"] = sig["protected"].(string) + "="
		}), "not canonical"},
		"unlisted alg PS256": {signWith(t, payload, rsa, nil, func(_, header map[string]any) { header["alg"] = "PS256" }), "unexpected signature algorithm"},
		"alg none": {signWith(t, payload, ec, nil, func(sig, header map[string]any) {
			header["alg"], sig["signature"] = "none", ""
		}), "unexpected signature algorithm"},
		"alg of other key type": {signWith(t, payload, ec, nil, func(_, header map[string]any) { header["alg"] = "RS256" }), "invalid signature"},
		"symmetric key": {signWith(t, payload, ec, nil, func(_, header map[string]any) {
			header["alg"], header["jwk"] = "HS256", map[string]string{"kty": "oct", "k": b64([]byte("secret"))}
		}), "unsupported key type"},
		"no key":                 {signWith(t, payload, ec, nil, func(_, header map[string]any) { delete(header, "jwk") }), "missing public key"},
		"rsa exponent one":       {signWith(t, payload, rsa, nil, jwkSet("e", "AQ")), "invalid RSA modulus or exponent"},
		"rsa 5-byte exponent":    {signWith(t, payload, rsa, nil, jwkSet("e", b64([]byte{0, 0, 1, 0, 1}))), "invalid RSA modulus or exponent"},
		"rsa truncated exponent": {signWith(t, payload, rsa, nil, jwkSet("e", b64([]byte{1, 0, 0, 0, 0, 0, 0, 1, 0, 1}))), "invalid RSA modulus or exponent"},
		"ec point off curve":     {signWith(t, payload, ec, nil, jwkSet("x", rsa.jwk["n"][:43])), "jwk"},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := Parse(c.signed, MediaTypeSignedManifest)
			wantInvalid(t, err)
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not mention %q", err, c.want)
			}
		})
	}
}
