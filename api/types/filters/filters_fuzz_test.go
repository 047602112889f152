package filters

import (
	"encoding/json"
	"maps"
	"testing"

	"github.com/containerd/errdefs"
)

// FuzzParse feeds the filters query parameter: anything is either a filter
// set or an invalid-argument error (a 400), and a parsed set survives being
// encoded and parsed again.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		``, `{}`, `{"dangling":{"true":true}}`, `{"label":["a=b","c"]}`,
		`{"reference":{"alpine:*":true,"busybox":true}}`, `{"before":{"x":false}}`,
		`{"a":null}`, `[]`, `{"a":{"b":1}}`, `{"a":"b"}`, `  `, `{"a":["b",null]}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		args, err := Parse(s)
		if err != nil {
			if !errdefs.IsInvalidArgument(err) {
				t.Fatalf("Parse(%q): %v is not an invalid-argument error", s, err)
			}
			return
		}
		for k := range args {
			_ = args.Values(k)
			_ = args.Has(k)
		}
		b, err := json.Marshal(args)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Parse(string(b))
		if err != nil {
			t.Fatalf("Parse(%s) of the re-encoded %q: %v", b, s, err)
		}
		for k, vs := range args {
			if len(vs) > 0 && !maps.Equal(again[k], vs) {
				t.Fatalf("key %q: %v, then %v", k, vs, again[k])
			}
		}
	})
}
