package httputils

import (
	"encoding/json"
	"testing"
)

func TestLegacyAddsWithoutOverwriting(t *testing.T) {
	type config struct {
		Cmd []string `json:",omitempty"`
		Env []string `json:",omitempty"`
	}
	base := struct {
		ID      string `json:"Id"`
		Size    int64
		Comment string `json:",omitempty"`
		Config  config
	}{ID: "sha256:x", Size: 7, Config: config{Cmd: []string{"sh"}}}
	b, err := json.Marshal(Legacy{
		Base: base,
		Extra: map[string]any{
			"VirtualSize": base.Size,
			"Comment":     "",
			"Size":        99, // already there: kept
			"Config":      map[string]any{"Cmd": nil, "Env": nil, "Hostname": ""},
		},
		Omit: []string{"Id"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Comment":"","Config":{"Cmd":["sh"],"Env":null,"Hostname":""},"Size":7,"VirtualSize":7}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}
