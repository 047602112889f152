package integrationcli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/berth-dev/berth/testutil/dockercli"
	"github.com/berth-dev/berth/testutil/fixtures"
)

// schema1GateEnv is dockerd's switch that re-enables schema 1 pulls.
const schema1GateEnv = "DOCKER_ENABLE_DEPRECATED_PULL_SCHEMA_1_IMAGE"

// schema1Notice is dockerd's deprecation text for a schema 1 image named
// familiar.
func schema1Notice(familiar string) string {
	return "[DEPRECATION NOTICE] Docker Image Format v1 and Docker Image manifest version 2, schema 1 " +
		"support is disabled by default and will be removed in an upcoming release. Suggest the author of " +
		familiar + " to upgrade the image to the OCI Format or Docker Image manifest v2, schema 2. " +
		"More information at https://docs.docker.com/go/deprecated-image-specs/"
}

// forT returns the same daemon, registry and data for subtest t, with its
// own CLI so failures are reported on t.
func (e *imageEnv) forT(t *testing.T) *imageEnv {
	return &imageEnv{t: t, reg: e.reg, d: e.d, cli: dockercli.New(t, e.d.Host())}
}

// pushSchema1 pushes img's blobs and serves its manifest as repo:tag.
func (e *imageEnv) pushSchema1(repo, tag string, img fixtures.Schema1Image) *fixtures.BuiltSchema1 {
	e.t.Helper()
	b, err := fixtures.PushSchema1(e.t.Context(), e.reg.Host(), repo, tag, img, e.reg)
	if err != nil {
		e.t.Fatalf("push schema 1 %s:%s: %v", repo, tag, err)
	}
	return b
}

// rawPull sends POST /images/create straight to berthd and returns the
// status and the body.
func (e *imageEnv) rawPull(image, tag string) (int, string) {
	e.t.Helper()
	q := url.Values{"fromImage": {image}, "tag": {tag}}
	hc := e.d.HTTPClient()
	hc.Timeout = time.Minute
	defer hc.CloseIdleConnections()
	resp, err := hc.Post("http://berthd/v1.50/images/create?"+q.Encode(), "", nil)
	if err != nil {
		e.t.Fatalf("POST /images/create: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("read /images/create: %v", err)
	}
	return resp.StatusCode, string(body)
}

// streamError returns the errorDetail message of a JSON progress stream,
// "" when no line carries one.
func streamError(t *testing.T, body string) string {
	t.Helper()
	for _, l := range strings.Split(strings.TrimSpace(body), "\r\n") {
		var m struct {
			ErrorDetail *struct{ Message string } `json:"errorDetail"`
		}
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("stream line %q is not JSON: %v", l, err)
		}
		if m.ErrorDetail != nil {
			return m.ErrorDetail.Message
		}
	}
	return ""
}

// unpackedFile returns the content of rel in the overlayfs snapshot
// holding it; it fails the test unless exactly one snapshot does.
func (e *imageEnv) unpackedFile(rel string) string {
	e.t.Helper()
	snapshots := filepath.Join(e.d.DataRoot(), "containerd", "snapshots", "overlayfs", "snapshots")
	found, err := filepath.Glob(filepath.Join(snapshots, "*", "fs", rel))
	if err != nil || len(found) != 1 {
		e.t.Fatalf("%s in the unpacked snapshots: found %v (%v), want exactly one", rel, found, err)
	}
	b, err := os.ReadFile(found[0])
	if err != nil {
		e.t.Fatal(err)
	}
	return string(b)
}

// strs turns a decoded JSON array into strings.
func strs(v any) []string {
	arr, _ := v.([]any)
	out := make([]string, 0, len(arr))
	for _, x := range arr {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// realLayers are the digests and diff IDs of a schema 1 image's
// non-throwaway layers, oldest first.
func realLayers(b *fixtures.BuiltSchema1) (blobs, diffIDs []digest.Digest) {
	for _, l := range b.Layers {
		blobs, diffIDs = append(blobs, l.Digest), append(diffIDs, l.DiffID)
	}
	return blobs, diffIDs
}

// checkInspect checks the parts of `docker image inspect` a pull of any
// format must get right.
func (e *imageEnv) checkInspect(ref string, diffIDs []digest.Digest, cmd, env []string) map[string]any {
	e.t.Helper()
	in := e.inspect(ref)
	if got := strs(in["RootFS"].(map[string]any)["Layers"]); fmt.Sprint(got) != fmt.Sprint(diffIDs) {
		e.t.Errorf("%s: RootFS.Layers %q, want %q", ref, got, diffIDs)
	}
	cfg := in["Config"].(map[string]any)
	if got := strs(cfg["Cmd"]); !slices.Equal(got, cmd) {
		e.t.Errorf("%s: Config.Cmd %q, want %q", ref, got, cmd)
	}
	if got := strs(cfg["Env"]); env != nil && !slices.Equal(got, env) {
		e.t.Errorf("%s: Config.Env %q, want %q", ref, got, env)
	}
	return in
}

// historyRows returns `docker history` rows as "<size>|<created by>".
func (e *imageEnv) historyRows(ref string) []string {
	e.t.Helper()
	return lines(e.docker("history", "--no-trunc", "--human=false", "--format", "{{.Size}}|{{.CreatedBy}}", ref))
}

// checkLayerLines checks that each layer went through a full download.
func checkLayerLines(t *testing.T, out []string, layers []digest.Digest) {
	t.Helper()
	statuses := layerStatuses(out)
	for _, d := range layers {
		want := []string{"Pulling fs layer", "Download complete", "Pull complete"}
		if got := statuses[shortID(d)]; !isSubsequence(want, got) {
			t.Errorf("layer %s: statuses %q, want in order %q\n%s", shortID(d), got, want, strings.Join(out, "\n"))
		}
	}
}

func marker(path, content string) []fixtures.File {
	return []fixtures.File{{Path: path, Content: []byte(content)}}
}

// TestPullFormatDocker110 pulls a docker 1.10-era image (schema 2 manifest,
// config of media type application/octet-stream): same ID and RepoDigest as
// the registry's manifest, config and history read, layers unpacked.
func TestPullFormatDocker110(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	legacy := func(layers ...fixtures.Layer) fixtures.Image {
		return fixtures.Image{
			ConfigMediaType: "application/octet-stream",
			Layers:          layers,
			Cmd:             []string{"/bin/sh", "-c", "echo legacy"},
			Env:             []string{"PATH=/usr/bin:/bin", "ERA=docker-1.10"},
		}
	}
	base := fixtures.Layer{Seed: 1010, Size: 8 << 10, Files: marker("etc/marker-legacy", "docker 1.10\n"), CreatedBy: "ADD rootfs.tar /"}
	img := legacy(base, fixtures.Layer{Seed: 1011, Size: 8 << 10, CreatedBy: "RUN apk add curl"})
	built := e.push("team/legacy", "v1", img)
	ref := e.ref("team/legacy", "v1")

	out := lines(e.docker("pull", ref))
	checkLayerLines(t, out, built.LayerDigests())
	if !slices.Contains(out, "Digest: "+built.Digest.String()) || !slices.Contains(out, "Status: Downloaded newer image for "+ref) {
		t.Errorf("pull output lacks the registry digest %s or the status:\n%s", built.Digest, strings.Join(out, "\n"))
	}
	in := e.checkInspect(ref, built.DiffIDs(), img.Cmd, img.Env)
	if in["Id"] != built.Digest.String() {
		t.Errorf("Id %v, want the registry's manifest digest %s", in["Id"], built.Digest)
	}
	wantDigests := []string{e.reg.Host() + "/team/legacy@" + built.Digest.String()}
	if got := strs(in["RepoDigests"]); !slices.Equal(got, wantDigests) {
		t.Errorf("RepoDigests %q, want %q", got, wantDigests)
	}
	rows := e.historyRows(ref)
	want := []string{"CMD", "RUN apk add curl", "ADD rootfs.tar /"}
	if len(rows) != len(want) {
		t.Fatalf("history rows %q, want %d (newest first: %q)", rows, len(want), want)
	}
	for i, w := range want {
		if !strings.Contains(rows[i], w) || (i > 0) == strings.HasPrefix(rows[i], "0|") {
			t.Errorf("history row %d = %q, want %q (with a size for layers only)", i, rows[i], w)
		}
	}

	// Both layers were unpacked.
	if n := len(e.snapshotUsage()); n != 2 {
		t.Errorf("%d snapshots after pulling 2 layers", n)
	}
	if got := e.unpackedFile("etc/marker-legacy"); got != "docker 1.10\n" {
		t.Errorf("unpacked marker %q", got)
	}
	// A second legacy image on the same base reuses its blob and snapshot.
	next := e.push("team/legacy", "v2", legacy(base, fixtures.Layer{Seed: 1012, Size: 8 << 10}))
	out = lines(e.docker("pull", e.ref("team/legacy", "v2")))
	if got := layerStatuses(out)[shortID(built.Layers[0].Digest)]; !slices.Equal(got, []string{"Already exists"}) {
		t.Errorf("shared base layer: statuses %q, want [Already exists]\n%s", got, strings.Join(out, "\n"))
	}
	checkLayerLines(t, out, next.LayerDigests()[1:])
	if n := len(e.snapshotUsage()); n != 3 {
		t.Errorf("%d snapshots after pulling 3 distinct layers", n)
	}
}

// TestPullFormatSchema1Disabled: without the gate, schema 1 is refused with
// dockerd's notice, as a 400, before anything is fetched or stored.
func TestPullFormatSchema1Disabled(t *testing.T) {
	t.Setenv(schema1GateEnv, "")
	e := newImageEnv(t)
	for _, unsigned := range []bool{false, true} {
		repo := fmt.Sprintf("team/s1-off-%v", unsigned)
		built := e.pushSchema1(repo, "latest", fixtures.Schema1Image{
			Unsigned: unsigned,
			Layers:   []fixtures.Layer{{Seed: 1100, Size: 4 << 10}},
			Cmd:      []string{"sh"},
		})
		ref := e.ref(repo, "latest")
		byDigest := e.reg.Host() + "/" + repo + "@" + built.Digest.String()
		for _, r := range []string{ref, byDigest} {
			if msg := e.dockerFail("pull", r); !strings.Contains(msg, "Error response from daemon: "+schema1Notice(r)) {
				t.Errorf("pull %s: %q, want the deprecation notice for %s", r, msg, r)
			}
		}
		status, body := e.rawPull(e.reg.Host()+"/"+repo, "latest")
		var msg struct{ Message string }
		if err := json.Unmarshal([]byte(body), &msg); status != http.StatusBadRequest || err != nil || msg.Message != schema1Notice(ref) {
			t.Errorf("POST /images/create: %d %s, want 400 with the notice", status, body)
		}
		if res := e.cli.Run("image", "inspect", ref); res.ExitCode == 0 {
			t.Errorf("%s was stored", ref)
		}
		if got := e.reg.FetchedBlobs(repo); len(got) != 0 {
			t.Errorf("a refused pull fetched blobs %v", got)
		}
	}
	if blobs := e.contentBlobs(); len(blobs) != 0 {
		t.Errorf("refused pulls left content %v", blobs)
	}
}

// TestPullFormatSchema1 pulls signed and unsigned schema 1 images with the
// gate on: notice, the usual progress, the schema 1 digest, a config and
// root filesystem as dockerd's conversion made them, unpacked layers.
func TestPullFormatSchema1(t *testing.T) {
	t.Setenv(schema1GateEnv, "1")
	env := newImageEnv(t)
	for i, unsigned := range []bool{false, true} {
		name := map[bool]string{false: "signed", true: "unsigned"}[unsigned]
		t.Run(name, func(t *testing.T) {
			e := env.forT(t)
			repo := "team/s1-" + name
			seed := int64(1200 + 10*i)
			img := fixtures.Schema1Image{
				Unsigned: unsigned,
				Layers: []fixtures.Layer{
					{Seed: seed, Size: 8 << 10, Files: marker("etc/marker-"+name, name+"\n")},
					{Seed: seed + 1, Size: 8 << 10},
				},
				Env: []string{"PATH=/usr/bin:/bin", "FORMAT=" + name},
				Cmd: []string{"/bin/sh", "-c", "echo " + name},
			}
			built := e.pushSchema1(repo, "latest", img)
			ref := e.ref(repo, "latest")
			layers, diffIDs := realLayers(built)

			out := lines(e.docker("pull", ref))
			notice := indexOfPrefix(out, "[DEPRECATION NOTICE]")
			if countPrefix(out, "[DEPRECATION NOTICE]") != 1 || out[notice] != schema1Notice(ref) ||
				notice > indexOfPrefix(out, "latest: Pulling from "+repo) {
				t.Errorf("want the notice once, before \"Pulling from\":\n%s", strings.Join(out, "\n"))
			}
			checkLayerLines(t, out, layers)
			if st := layerStatuses(out)[shortID(fixtures.EmptyGzipLayerDigest)]; st != nil {
				t.Errorf("throwaway layer shown: %q", st)
			}
			if countPrefix(out, "Digest: ") != 1 || !slices.Contains(out, "Digest: "+built.Digest.String()) ||
				!slices.Contains(out, "Status: Downloaded newer image for "+ref) {
				t.Errorf("want Digest: %s and the status:\n%s", built.Digest, strings.Join(out, "\n"))
			}

			in := e.checkInspect(ref, diffIDs, img.Cmd, img.Env)
			want := e.reg.Host() + "/" + repo + "@" + built.Digest.String()
			if got := strs(in["RepoDigests"]); !slices.Contains(got, want) {
				t.Errorf("RepoDigests %q lacks %s: berth does not report the schema 1 digest "+
					"(image label dev.berth.schema1.digest) in RepoDigests — known, being fixed in the image service", got, want)
			}
			// History: every v1 entry, newest first; throwaway ones empty.
			var payload struct {
				History []struct{ V1Compatibility string }
			}
			if err := json.Unmarshal(built.Payload, &payload); err != nil {
				t.Fatal(err)
			}
			rows := e.historyRows(ref)
			if len(rows) != len(payload.History) || len(rows) != 4 {
				t.Fatalf("history rows %q, want the %d v1 entries", rows, len(payload.History))
			}
			for j, h := range payload.History {
				var v1 struct {
					Throwaway       bool
					ContainerConfig struct{ Cmd []string } `json:"container_config"`
				}
				if err := json.Unmarshal([]byte(h.V1Compatibility), &v1); err != nil {
					t.Fatal(err)
				}
				size, by, _ := strings.Cut(rows[j], "|")
				if by != strings.Join(v1.ContainerConfig.Cmd, " ") || v1.Throwaway != (size == "0") {
					t.Errorf("history row %d = %q, want %q (throwaway %v)", j, rows[j], v1.ContainerConfig.Cmd, v1.Throwaway)
				}
			}
			if got := e.unpackedFile("etc/marker-" + name); got != name+"\n" {
				t.Errorf("unpacked marker %q", got)
			}

			// A re-pull finds everything present.
			again := lines(e.docker("pull", ref))
			if len(layerStatuses(again)) != 0 || !slices.Contains(again, "Status: Image is up to date for "+ref) ||
				!slices.Contains(again, "Digest: "+built.Digest.String()) {
				t.Errorf("re-pull:\n%s", strings.Join(again, "\n"))
			}
			if id := e.inspect(ref)["Id"]; id != in["Id"] {
				t.Errorf("re-pull changed the ID from %v to %v", in["Id"], id)
			}
			if e.inspectsBySchema1Digest(want) {
				if id := e.inspect(want)["Id"]; id != in["Id"] {
					t.Errorf("%s is image %v, want %v", want, id, in["Id"])
				}
			}
		})
	}

	// Pull by the schema 1 digest, into a store that has none of it.
	t.Run("by-digest", func(t *testing.T) {
		e := env.forT(t)
		built := e.pushSchema1("team/s1-digest", "", fixtures.Schema1Image{
			Layers: []fixtures.Layer{{Seed: 1290, Size: 8 << 10}},
			Cmd:    []string{"sh"},
		})
		ref := e.reg.Host() + "/team/s1-digest@" + built.Digest.String()
		out := lines(e.docker("pull", ref))
		checkLayerLines(t, out, []digest.Digest{built.Layers[0].Digest})
		if !slices.Contains(out, "Digest: "+built.Digest.String()) || !slices.Contains(out, "Status: Downloaded newer image for "+ref) {
			t.Errorf("pull by digest:\n%s", strings.Join(out, "\n"))
		}
		if e.inspectsBySchema1Digest(ref) {
			e.checkInspect(ref, []digest.Digest{built.Layers[0].DiffID}, []string{"sh"}, nil)
		}
	})
}

// inspectsBySchema1Digest reports whether `docker image inspect
// repo@<schema 1 digest>` finds the image pulled from that manifest, and
// fails the test if not.
func (e *imageEnv) inspectsBySchema1Digest(ref string) bool {
	e.t.Helper()
	res := e.cli.Run("image", "inspect", ref)
	if res.ExitCode != 0 {
		e.t.Errorf("docker image inspect %s: %s\nberth does not find a schema 1 image by its registry digest "+
			"(the record is named after it, the lookup only matches the converted target; "+
			"the record's label dev.berth.schema1.digest holds the digest) — image service, daemon/images/resolve.go, "+
			"fix pending with the RepoDigests one", ref, strings.TrimSpace(res.Stderr))
	}
	return res.ExitCode == 0
}

// TestPullFormatSchema1Malformed: with the gate on, a badly signed,
// inconsistent or unparsable manifest and a layer that fails verification
// each end the pull with a clear error, and nothing is stored.
func TestPullFormatSchema1Malformed(t *testing.T) {
	t.Setenv(schema1GateEnv, "1")
	env := newImageEnv(t)
	good := func(seed int64, unsigned bool) fixtures.Schema1Image {
		return fixtures.Schema1Image{
			Unsigned: unsigned,
			Layers:   []fixtures.Layer{{Seed: seed, Size: 4 << 10}, {Seed: seed + 1, Size: 4 << 10}},
			Cmd:      []string{"sh"},
		}
	}
	// flip changes the letter after the first occurrence of after into
	// another letter (of base64url too): the JSON stays valid.
	flip := func(body []byte, after string) []byte {
		i := bytes.Index(body, []byte(after))
		if i < 0 {
			t.Fatalf("%q not in manifest", after)
		}
		out := bytes.Clone(body)
		if j := i + len(after); out[j] == 'A' {
			out[j] = 'B'
		} else {
			out[j] = 'A'
		}
		return out
	}
	cases := []struct {
		name string
		// serve returns the bad image and the text its error must contain.
		serve func(e *imageEnv, repo string) (*fixtures.BuiltSchema1, string)
	}{
		{"tampered-payload", func(e *imageEnv, repo string) (*fixtures.BuiltSchema1, string) {
			b := e.pushSchema1(repo, "", good(1300, false))
			e.reg.ServeManifest(repo, b.MediaType, flip(b.Manifest, `"tag": "`), "", "latest")
			return b, "signature verification failed"
		}},
		{"tampered-signature", func(e *imageEnv, repo string) (*fixtures.BuiltSchema1, string) {
			b := e.pushSchema1(repo, "", good(1310, false))
			e.reg.ServeManifest(repo, b.MediaType, flip(b.Manifest, `"signature": "`), "", "latest")
			return b, "signature verification failed"
		}},
		{"length-mismatch", func(e *imageEnv, repo string) (*fixtures.BuiltSchema1, string) {
			b := e.pushSchema1(repo, "", good(1320, true))
			var m map[string]any
			if err := json.Unmarshal(b.Manifest, &m); err != nil {
				t.Fatal(err)
			}
			h := m["history"].([]any)
			m["history"] = h[:len(h)-1]
			body, _ := json.MarshalIndent(m, "", "   ")
			e.reg.ServeManifest(repo, b.MediaType, body, "", "latest")
			return b, fmt.Sprintf("length of history (%d) not equal to number of layers (%d)", len(h)-1, len(h))
		}},
		{"invalid-json", func(e *imageEnv, repo string) (*fixtures.BuiltSchema1, string) {
			b := e.pushSchema1(repo, "", good(1330, true))
			e.reg.ServeManifest(repo, b.MediaType, b.Manifest[:len(b.Manifest)/2], "", "latest")
			return b, "invalid schema 1 manifest"
		}},
		{"corrupt-layer", func(e *imageEnv, repo string) (*fixtures.BuiltSchema1, string) {
			b := e.pushSchema1(repo, "latest", good(1340, true))
			bad := b.Layers[1].Digest
			e.reg.CorruptBlob(repo, bad)
			return b, "filesystem layer verification failed for digest " + bad.String()
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := env.forT(t)
			repo := "team/bad-" + tc.name
			built, wantErr := tc.serve(e, repo)
			layers, _ := realLayers(built)
			ref := e.ref(repo, "latest")

			res := e.cli.Run("pull", ref)
			if res.ExitCode == 0 || !strings.Contains(res.Stderr, wantErr) {
				t.Errorf("pull: exit %d, stderr %q, want an error containing %q", res.ExitCode, res.Stderr, wantErr)
			}
			// The gate's notice went out first, so the error comes in the
			// stream: 200 with an errorDetail, never a 500.
			if !strings.Contains(res.Stdout, schema1Notice(ref)) {
				t.Errorf("no deprecation notice before the error:\n%s", res.Stdout)
			}
			status, body := e.rawPull(e.reg.Host()+"/"+repo, "latest")
			if msg := streamError(t, body); status != http.StatusOK || !strings.Contains(msg, wantErr) {
				t.Errorf("POST /images/create: %d, error %q, want 200 with an errorDetail containing %q\n%s", status, msg, wantErr, body)
			}
			if res := e.cli.Run("image", "inspect", ref); res.ExitCode == 0 {
				t.Errorf("%s was stored", ref)
			}
			if got := e.reg.FetchedBlobs(repo); tc.name != "corrupt-layer" && len(got) != 0 {
				t.Errorf("a bad manifest got blobs %v fetched", got)
			}
			waitFor(t, "the failed pull's content to be collected", 10*time.Second, func() bool {
				return !e.hasAnyBlob(layers...)
			})
		})
	}
}

// TestPullFormatLayerCompression pulls zstd and uncompressed layers (OCI
// and docker media types): diff IDs right, files unpacked.
func TestPullFormatLayerCompression(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	for _, c := range []struct {
		tag   string
		img   fixtures.Image
		types []string
	}{
		{"oci", fixtures.Image{
			Format: fixtures.OCI,
			Layers: []fixtures.Layer{
				{Seed: 1400, Size: 8 << 10, Compression: fixtures.Zstd, Files: marker("etc/marker-zstd", "zstd\n")},
				{Seed: 1401, Size: 8 << 10, Compression: fixtures.Uncompressed, Files: marker("etc/marker-tar", "tar\n")},
				{Seed: 1402, Size: 8 << 10, Files: marker("etc/marker-gzip", "gzip\n")},
			},
			Cmd: []string{"/bin/true"},
		}, []string{ocispec.MediaTypeImageLayerZstd, ocispec.MediaTypeImageLayer, ocispec.MediaTypeImageLayerGzip}},
		{"docker", fixtures.Image{
			Layers: []fixtures.Layer{{Seed: 1410, Size: 8 << 10, Compression: fixtures.Uncompressed, Files: marker("etc/marker-docker-tar", "docker tar\n")}},
			Cmd:    []string{"/bin/false"},
		}, []string{fixtures.MediaTypeDockerLayer}},
	} {
		built := e.push("team/compressed", c.tag, c.img)
		for i, l := range built.Layers {
			if l.MediaType != c.types[i] {
				t.Fatalf("fixture %s: layer %d has type %s, want %s", c.tag, i, l.MediaType, c.types[i])
			}
		}
		ref := e.ref("team/compressed", c.tag)
		out := lines(e.docker("pull", ref))
		checkLayerLines(t, out, built.LayerDigests())
		if in := e.checkInspect(ref, built.DiffIDs(), c.img.Cmd, nil); in["Id"] != built.Digest.String() {
			t.Errorf("%s: Id %v, want %s", c.tag, in["Id"], built.Digest)
		}
		for _, l := range c.img.Layers {
			if got := e.unpackedFile(l.Files[0].Path); got != string(l.Files[0].Content) {
				t.Errorf("%s: unpacked %s = %q, want %q", c.tag, l.Files[0].Path, got, l.Files[0].Content)
			}
		}
	}
}

// TestPullFormatForeignLayers pulls images whose foreign (docker) or
// non-distributable (OCI) layer lists an external URL: as dockerd's
// containerd store, berth fetches the layer from the registry and never
// contacts the URL.
func TestPullFormatForeignLayers(t *testing.T) {
	t.Parallel()
	e := newImageEnv(t)
	var mu sync.Mutex
	var hits []string
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits = append(hits, r.Method+" "+r.URL.Path)
		mu.Unlock()
		http.NotFound(w, r)
	}))
	defer foreign.Close()

	for i, c := range []struct {
		name, layerType string
		format          fixtures.Format
	}{
		{"docker-foreign", "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", fixtures.Docker},
		{"oci-nondistributable", "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", fixtures.OCI},
	} {
		img := fixtures.Image{
			Format: c.format,
			Layers: []fixtures.Layer{
				{Seed: int64(1500 + 10*i), Size: 8 << 10, MediaType: c.layerType, Files: marker("etc/marker-"+c.name, c.name+"\n")},
				{Seed: int64(1501 + 10*i), Size: 8 << 10},
			},
			Cmd: []string{"/app"},
		}
		built, err := img.Build()
		if err != nil {
			t.Fatal(err)
		}
		var m ocispec.Manifest
		if err := json.Unmarshal(built.Manifest, &m); err != nil {
			t.Fatal(err)
		}
		m.Layers[0].URLs = []string{foreign.URL + "/layers/" + m.Layers[0].Digest.Encoded()}
		body, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		repo := "team/" + c.name
		// The registry refuses manifests with URLs unless configured to
		// allow them; the blobs are pushed and the manifest served raw.
		for _, blob := range [][]byte{built.Config, built.Layers[0].Blob, built.Layers[1].Blob} {
			if _, err := fixtures.NewClient(e.reg.Host()).PushBlob(t.Context(), repo, blob); err != nil {
				t.Fatal(err)
			}
		}
		e.reg.ServeManifest(repo, built.MediaType, body, "", "latest")
		ref := e.ref(repo, "latest")

		out := lines(e.docker("pull", ref))
		checkLayerLines(t, out, built.LayerDigests())
		mu.Lock()
		got := slices.Clone(hits)
		mu.Unlock()
		if len(got) != 0 {
			t.Errorf("%s: berth fetched from the layer's external URL: %q", c.name, got)
		}
		if !slices.Contains(e.reg.FetchedBlobs(repo), built.Layers[0].Digest) {
			t.Errorf("%s: the layer was not fetched from the registry (fetched %v)", c.name, e.reg.FetchedBlobs(repo))
		}
		if in := e.checkInspect(ref, built.DiffIDs(), img.Cmd, nil); in["Id"] != digest.FromBytes(body).String() {
			t.Errorf("%s: Id %v, want the served manifest's digest %s", c.name, in["Id"], digest.FromBytes(body))
		}
		if got := e.unpackedFile("etc/marker-" + c.name); got != c.name+"\n" {
			t.Errorf("%s: unpacked marker %q", c.name, got)
		}
	}
}
