package integrationcli

import (
	"sort"
	"strings"
	"testing"

	"github.com/berth-dev/berth/testutil/berthd"
	"github.com/berth-dev/berth/testutil/dockercli"
	"github.com/berth-dev/berth/testutil/fixtures"
	"github.com/berth-dev/berth/testutil/registry"
)

// TestPushScreen runs `docker push` in a real terminal and reads the final
// screen as a person sees it: the repository line, one row per layer
// updated in place to "Pushed", and the digest line — no row repeated, no
// row for the config.
func TestPushScreen(t *testing.T) {
	t.Parallel()
	src, dst := registry.Start(t), registry.Start(t)
	d := berthd.Start(t, "--insecure-registry", src.Host(), "--insecure-registry", dst.Host())
	e := &imageEnv{t: t, reg: src, d: d, cli: dockercli.New(t, d.Host())}
	img := fixtures.Image{Layers: []fixtures.Layer{
		{Seed: 600, Size: 1 << 20}, {Seed: 601, Size: 512 << 10}, {Seed: 602, Size: 2 << 20}, {Seed: 603, Size: 256 << 10},
	}}
	built := e.pushPull("screen/app", "v1", img)
	target := dst.Host() + "/screen/app:v1"
	e.docker("tag", e.ref("screen/app", "v1"), target)

	res := e.cli.Terminal(200, 50).Run("push", target)
	if res.ExitCode != 0 {
		t.Fatalf("push exit %d; screen:\n%s", res.ExitCode, res)
	}
	var want []string
	for _, l := range built.Layers {
		want = append(want, shortID(l.Digest)+": Pushed")
	}
	sort.Strings(want)
	screen := res.Lines
	if len(screen) != len(want)+2 {
		t.Fatalf("screen has %d lines, want %d (repository, one per layer, digest):\n%s", len(screen), len(want)+2, res)
	}
	if screen[0] != "The push refers to repository ["+dst.Host()+"/screen/app]" {
		t.Errorf("first line %q", screen[0])
	}
	rows := append([]string(nil), screen[1:len(screen)-1]...)
	sort.Strings(rows)
	if strings.Join(rows, "\n") != strings.Join(want, "\n") {
		t.Errorf("layer rows:\n%s\nwant (any order):\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
	if d := pushedDigest(t, screen[len(screen)-1:], "v1"); d != built.Digest {
		t.Errorf("digest line %q, want digest %s", screen[len(screen)-1], built.Digest)
	}
}
