package schema1

import (
	"bytes"
	"crypto/elliptic"
	"encoding/json"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/berth-dev/berth/testutil/fixtures"
)

// threeSteps is a base layer, a throwaway ENV entry and a top layer.
func threeSteps() []step {
	return []step{
		{blob: digest.FromString("base"), cmd: []string{"/bin/sh -c #(nop) ADD file:x in /"}},
		{blob: emptyGzipDigest, throwaway: true, cmd: []string{"/bin/sh -c #(nop)  ENV A=b"}},
		{blob: digest.FromString("top"), cmd: []string{"/bin/sh", "-c", "echo hi > /hi"},
			extra: map[string]any{"os": "linux", "architecture": "amd64", "config": map[string]any{"Cmd": []string{"sh"}}}},
	}
}

func TestParseSignedFixture(t *testing.T) {
	b, err := fixtures.Schema1Image{
		Layers: []fixtures.Layer{{Seed: 1}, {Seed: 2}},
		Env:    []string{"A=b"},
		Cmd:    []string{"sh"},
	}.Build("library/test", "latest")
	if err != nil {
		t.Fatal(err)
	}
	m, d, err := Parse(b.Manifest, MediaTypeSignedManifest)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Signed() || d != b.Digest || m.Digest() != d || d != digest.FromBytes(b.Payload) || !bytes.Equal(m.Payload(), b.Payload) {
		t.Fatalf("signed=%v digest=%s, want %s (payload digest)", m.Signed(), d, b.Digest)
	}
	if d == digest.FromBytes(b.Manifest) {
		t.Fatal("the digest must not cover the signatures")
	}
	if m.Name != "library/test" || m.Tag != "latest" || len(m.FSLayers) != 4 {
		t.Fatalf("parsed %+v", m)
	}
	layers := m.Layers()
	want := []struct {
		d         digest.Digest
		throwaway bool
	}{{b.Layers[0].Digest, false}, {b.Layers[1].Digest, false}, {fixtures.EmptyGzipLayerDigest, true}, {fixtures.EmptyGzipLayerDigest, true}}
	if len(layers) != len(want) {
		t.Fatalf("layers %+v", layers)
	}
	for i, w := range want {
		if layers[i].Digest != w.d || layers[i].Throwaway != w.throwaway || layers[i].V1ID != b.V1IDs[len(want)-1-i] {
			t.Errorf("layer %d = %+v, want %v throwaway=%v", i, layers[i], w.d, w.throwaway)
		}
	}
}

func TestParseUnsigned(t *testing.T) {
	b, err := fixtures.Schema1Image{Layers: []fixtures.Layer{{Seed: 1}}, Unsigned: true}.Build("r", "t")
	if err != nil {
		t.Fatal(err)
	}
	for _, mt := range []string{MediaTypeManifest, ""} {
		m, d, err := Parse(b.Manifest, mt)
		if err != nil {
			t.Fatal(err)
		}
		if m.Signed() || d != digest.FromBytes(b.Manifest) {
			t.Fatalf("signed=%v digest=%s", m.Signed(), d)
		}
	}
}

func TestParseKeyTypes(t *testing.T) {
	payload := render(t, manifestDoc("r", "t", threeSteps()))
	for name, keys := range map[string][]testKey{
		"P-256":     {newECKey(t, elliptic.P256())},
		"P-384":     {newECKey(t, elliptic.P384())},
		"P-521":     {newECKey(t, elliptic.P521())},
		"RSA":       {newRSAKey(t)},
		"two-keys":  {newECKey(t, elliptic.P256()), newRSAKey(t)},
		"three-ecs": {newECKey(t, elliptic.P256()), newECKey(t, elliptic.P384()), newECKey(t, elliptic.P256())},
		"x5c-ec":    {withCertificate(t, newECKey(t, elliptic.P256()))},
		"early-kid": {withEarlyKeyID(newECKey(t, elliptic.P256()))},
		"x5c-rsa":   {withCertificate(t, newRSAKey(t))},
	} {
		t.Run(name, func(t *testing.T) {
			m, d, err := Parse(signPretty(t, payload, keys...), MediaTypeSignedManifest)
			if err != nil {
				t.Fatal(err)
			}
			if d != digest.FromBytes(payload) || !m.Signed() {
				t.Fatalf("digest %s, want %s", d, digest.FromBytes(payload))
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	good := render(t, manifestDoc("r", "t", threeSteps()))
	key := newECKey(t, elliptic.P256())
	signed := signPretty(t, good, key)

	// mutate renders the three-step document after f changed it, signed.
	mutate := func(f func(doc map[string]any)) []byte {
		var doc map[string]any
		if err := json.Unmarshal(good, &doc); err != nil {
			t.Fatal(err)
		}
		f(doc)
		return signPretty(t, render(t, doc), key)
	}
	history := func(doc map[string]any) []any { return doc["history"].([]any) }
	setV1 := func(doc map[string]any, i int, v1 string) {
		history(doc)[i].(map[string]any)["v1Compatibility"] = v1
	}
	// v1 changes entry i's v1 JSON with f.
	v1 := func(i int, f func(map[string]any)) []byte {
		return mutate(func(doc map[string]any) {
			var m map[string]any
			_ = json.Unmarshal([]byte(history(doc)[i].(map[string]any)["v1Compatibility"].(string)), &m)
			f(m)
			j, _ := json.Marshal(m)
			setV1(doc, i, string(j))
		})
	}
	wrongKey := newECKey(t, elliptic.P256())
	badKid := newECKey(t, elliptic.P256())
	badKid.jwk["kid"] = wrongKey.jwk["kid"]
	wrongAlg := newECKey(t, elliptic.P384())
	wrongAlg.alg = "ES256"

	cases := map[string]struct {
		data      []byte
		mediaType string
	}{
		"tampered payload":   {bytes.Replace(signed, []byte(`"tag": "t"`), []byte(`"tag": "u"`), 1), ""},
		"tampered signature": {tamperSignature(t, signed), ""},
		"other key's sig":    {swapKey(t, signed, wrongKey), ""},
		"kid mismatch":       {signPretty(t, good, badKid), ""},
		"alg mismatch":       {signPretty(t, good, wrongAlg), ""},
		"one bad of two":     {addBadSignature(t, signPretty(t, good, key)), ""},
		"x5c of other key":   {swapCertificate(t, signPretty(t, good, withCertificate(t, key)), withCertificate(t, wrongKey)), ""},
		"truncated":          {signed[:len(signed)/2], ""},
		"format length":      {withProtected(t, signed, map[string]any{"formatLength": 1 << 20, "formatTail": "Cn0"}), ""},
		"no format tail":     {withProtected(t, signed, map[string]any{"formatLength": 10}), ""},
		"not json":           {[]byte("{not json"), ""},
		"empty signatures":   {[]byte(`{"schemaVersion":1,"signatures":[]}`), ""},
		"wrong media type":   {signed, "application/vnd.oci.image.manifest.v1+json"},
		"length mismatch": {mutate(func(doc map[string]any) {
			doc["fsLayers"] = doc["fsLayers"].([]any)[1:]
		}), ""},
		"no layers": {mutate(func(doc map[string]any) {
			doc["fsLayers"], doc["history"] = []any{}, []any{}
		}), ""},
		"invalid v1 json": {mutate(func(doc map[string]any) { setV1(doc, 1, `{"id": "x",`) }), ""},
		"v1 not object":   {mutate(func(doc map[string]any) { setV1(doc, 1, `[1]`) }), ""},
		"invalid blobSum": {mutate(func(doc map[string]any) {
			doc["fsLayers"].([]any)[0].(map[string]any)["blobSum"] = "sha256:abc"
		}), ""},
		"schema version":   {mutate(func(doc map[string]any) { doc["schemaVersion"] = 2 }), ""},
		"no name":          {mutate(func(doc map[string]any) { doc["name"] = "" }), ""},
		"bad v1 id":        {v1(0, func(m map[string]any) { m["id"] = "nothex" }), ""},
		"base has parent":  {v1(2, func(m map[string]any) { m["parent"] = v1ID(7) }), ""},
		"broken chain":     {v1(0, func(m map[string]any) { m["parent"] = v1ID(0) }), ""},
		"throwaway string": {v1(1, func(m map[string]any) { m["throwaway"] = "yes" }), ""},
		"repeated id": {v1(0, func(m map[string]any) {
			m["id"] = v1ID(0) // the base entry's ID, not adjacent
		}), ""},
	}
	wantMessages := map[string]string{
		"tampered payload":   "invalid signature",
		"tampered signature": "invalid signature",
		"other key's sig":    "invalid signature",
		"one bad of two":     "signature 0: invalid signature",
		"x5c of other key":   "invalid signature",
		"kid mismatch":       "does not match the key",
		"format length":      "exceeds the manifest size",
		"no format tail":     "lacks formatLength or formatTail",
		"length mismatch":    "not equal to number of layers",
		"invalid v1 json":    "not valid JSON",
		"repeated id":        "appears multiple times",
		"broken chain":       "invalid parent ID",
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, _, err := Parse(c.data, c.mediaType)
			wantInvalid(t, err)
			if w, ok := wantMessages[name]; ok && !strings.Contains(err.Error(), w) {
				t.Fatalf("error %q does not mention %q", err, w)
			}
		})
	}
}

// withProtected replaces the protected header of every signature.
func withProtected(t *testing.T, signed []byte, protected map[string]any) []byte {
	var doc struct {
		Signatures []map[string]any `json:"signatures"`
	}
	if err := json.Unmarshal(signed, &doc); err != nil {
		t.Fatal(err)
	}
	j, _ := json.Marshal(protected)
	return bytes.ReplaceAll(signed, []byte(doc.Signatures[0]["protected"].(string)), []byte(b64(j)))
}

// tamperSignature flips a bit of the first signature value.
func tamperSignature(t *testing.T, signed []byte) []byte {
	var doc struct {
		Signatures []map[string]any `json:"signatures"`
	}
	if err := json.Unmarshal(signed, &doc); err != nil {
		t.Fatal(err)
	}
	sig := doc.Signatures[0]["signature"].(string)
	flipped := []byte(sig)
	if flipped[3] == 'A' {
		flipped[3] = 'B'
	} else {
		flipped[3] = 'A'
	}
	return bytes.Replace(signed, []byte(sig), flipped, 1)
}

// swapKey replaces the first signature's JWK with k's.
func swapKey(t *testing.T, signed []byte, k testKey) []byte {
	var doc struct {
		Signatures []struct {
			Header struct {
				JWK json.RawMessage `json:"jwk"`
			} `json:"header"`
		} `json:"signatures"`
	}
	if err := json.Unmarshal(signed, &doc); err != nil {
		t.Fatal(err)
	}
	// The JWK is indented in the document: compare field values instead.
	var old map[string]string
	if err := json.Unmarshal(doc.Signatures[0].Header.JWK, &old); err != nil {
		t.Fatal(err)
	}
	out := signed
	for _, f := range []string{"x", "y", "kid"} {
		out = bytes.Replace(out, []byte(old[f]), []byte(k.jwk[f]), 1)
	}
	return out
}

// swapCertificate replaces the x5c certificate with k's.
func swapCertificate(t *testing.T, signed []byte, k testKey) []byte {
	var doc struct {
		Signatures []struct {
			Header struct {
				X5C []string `json:"x5c"`
			} `json:"header"`
		} `json:"signatures"`
	}
	if err := json.Unmarshal(signed, &doc); err != nil {
		t.Fatal(err)
	}
	return bytes.Replace(signed, []byte(doc.Signatures[0].Header.X5C[0]), []byte(k.x5c[0]), 1)
}

// addBadSignature duplicates the first signature with a corrupted value.
func addBadSignature(t *testing.T, signed []byte) []byte {
	i := bytes.Index(signed, []byte(`"signatures": [`))
	if i < 0 {
		t.Fatal("no signatures")
	}
	var doc struct {
		Signatures []map[string]any `json:"signatures"`
	}
	if err := json.Unmarshal(signed, &doc); err != nil {
		t.Fatal(err)
	}
	bad := doc.Signatures[0]
	bad["signature"] = strings.Repeat("A", len(bad["signature"].(string)))
	j, _ := json.Marshal(bad)
	at := i + len(`"signatures": [`)
	return append(append(append([]byte(nil), signed[:at]...), append(j, ',')...), signed[at:]...)
}

func TestParseDropsRepeatedConsecutiveIDs(t *testing.T) {
	steps := threeSteps()
	doc := manifestDoc("r", "t", steps)
	// Duplicate the newest entry, as old registries sometimes did.
	doc["fsLayers"] = append([]any{doc["fsLayers"].([]any)[0]}, doc["fsLayers"].([]any)...)
	doc["history"] = append([]any{doc["history"].([]any)[0]}, doc["history"].([]any)...)
	m, _, err := Parse(render(t, doc), MediaTypeManifest)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.FSLayers) != 4 || len(m.Layers()) != 3 {
		t.Fatalf("fsLayers %d, layers %d", len(m.FSLayers), len(m.Layers()))
	}
	for i, l := range m.Layers() {
		if l.Digest != steps[i].blob || l.V1ID != v1ID(i) {
			t.Errorf("layer %d = %s %s", i, l.Digest, l.V1ID)
		}
	}
}

func TestCheckDigest(t *testing.T) {
	b, err := fixtures.Schema1Image{Layers: []fixtures.Layer{{Seed: 1}}}.Build("r", "t")
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := Parse(b.Manifest, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, ok := range []digest.Digest{b.Digest, digest.FromBytes(b.Manifest)} {
		if err := checkDigest(m, b.Manifest, ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	wantInvalid(t, checkDigest(m, b.Manifest, digest.FromString("other")))
}
