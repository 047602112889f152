package integration

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
)

// fields decodes a JSON object's top-level fields.
func fields(t *testing.T, body []byte) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("not a JSON object: %s", body)
	}
	return m
}

// TestResponseFieldsPerVersion pins the fields dockerd's routers add or
// drop per API version, with their cut-offs.
func TestResponseFieldsPerVersion(t *testing.T) {
	e := newImgEnv(t)
	e.pushPull("versions/app", "v1", seedImage(160))
	name := e.ref("versions/app", "v1")

	for _, tc := range []struct {
		version       string
		present, gone []string
	}{
		{"1.41", []string{"VirtualSize", "Container", "ContainerConfig", "Parent", "Comment", "DockerVersion", "Author"}, []string{"Descriptor", "Identity"}},
		{"1.44", []string{"Container", "ContainerConfig", "Parent", "DockerVersion"}, []string{"VirtualSize", "Descriptor"}},
		{"1.45", []string{"Parent", "Comment", "DockerVersion", "Author"}, []string{"Container", "ContainerConfig"}},
		{"1.51", []string{"Parent", "Comment", "DockerVersion", "Author", "Descriptor"}, []string{"Identity"}},
		{"1.52", []string{"Descriptor"}, []string{"Parent", "DockerVersion", "Comment", "Author"}},
	} {
		_, body := e.at(tc.version, "GET", "/images/"+name+"/json", nil)
		f := fields(t, body)
		for _, k := range tc.present {
			if _, ok := f[k]; !ok {
				t.Errorf("inspect at API %s lacks %s", tc.version, k)
			}
		}
		for _, k := range tc.gone {
			if _, ok := f[k]; ok {
				t.Errorf("inspect at API %s has %s", tc.version, k)
			}
		}
	}
	_, body := e.at("1.41", "GET", "/images/"+name+"/json", nil)
	if f := fields(t, body); string(f["VirtualSize"]) != string(f["Size"]) {
		t.Errorf("inspect VirtualSize %s, Size %s", f["VirtualSize"], f["Size"])
	}

	var list []map[string]json.RawMessage
	_, body = e.at("1.41", "GET", "/images/json", nil)
	if err := json.Unmarshal(body, &list); err != nil || len(list) != 1 {
		t.Fatalf("list: %s", body)
	}
	if string(list[0]["VirtualSize"]) != string(list[0]["Size"]) || string(list[0]["Containers"]) != "-1" {
		t.Errorf("list at API 1.41: VirtualSize %s Size %s Containers %s", list[0]["VirtualSize"], list[0]["Size"], list[0]["Containers"])
	}
	_, body = e.at("1.44", "GET", "/images/json", nil)
	list = nil
	if err := json.Unmarshal(body, &list); err != nil || list[0]["VirtualSize"] != nil {
		t.Errorf("list at API 1.44 has VirtualSize: %s", body)
	}
	// manifests=1 only exists since API 1.47.
	_, body = e.at("1.46", "GET", "/images/json", url.Values{"manifests": {"1"}})
	list = nil
	if err := json.Unmarshal(body, &list); err != nil || list[0]["Manifests"] != nil {
		t.Errorf("list at API 1.46 has Manifests: %s", body)
	}

	for _, tc := range []struct {
		version string
		want    bool
	}{{"1.49", true}, {"1.50", false}} {
		_, body := e.at(tc.version, "GET", "/info", nil)
		f := fields(t, body)
		_, a := f["BridgeNfIptables"]
		_, b := f["BridgeNfIp6tables"]
		if a != tc.want || b != tc.want || (tc.want && string(f["BridgeNfIptables"]) != "false") {
			t.Errorf("info at API %s: BridgeNfIptables %v %s, BridgeNfIp6tables %v; want present=%v", tc.version, a, f["BridgeNfIptables"], b, tc.want)
		}
	}
}

// TestPingHeaders: the headers the CLI reads from /_ping, as dockerd sends
// them (BuildKit, "2", is dockerd's default builder).
func TestPingHeaders(t *testing.T) {
	e := newImgEnv(t)
	for _, method := range []string{http.MethodHead, http.MethodGet} {
		req, _ := http.NewRequestWithContext(e.ctx, method, "http://berthd/_ping", nil)
		resp, err := e.d.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		for k, want := range map[string]string{"Builder-Version": "2", "Docker-Experimental": "false", "Swarm": "inactive", "Ostype": "linux"} {
			if got := resp.Header.Get(k); got != want {
				t.Errorf("%s /_ping: %s %q, want %q", method, k, got, want)
			}
		}
	}
}
