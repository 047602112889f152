// Command demo-registry runs an in-process registry (testutil/registry)
// filled with sample images (testutil/fixtures) for `make demo`:
//
//	demo/hello:latest  3 gzip layers (~1.4 MiB), Cmd, Env, Labels
//	demo/big:latest    5 gzip layers (~36 MiB) of generated content
//	demo/multi:latest  manifest list: linux/amd64, linux/arm64, linux/arm/v7
//
// Blob downloads and uploads are limited to -rate bytes per second each
// (default 8 MiB/s), so that on loopback a pull or push of demo/big takes a
// few seconds and its progress bars visibly move.
//
// Once the images are pushed it prints one line "REGISTRY=127.0.0.1:PORT"
// on stdout and serves until SIGINT or SIGTERM. It needs no network beyond
// loopback.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/berth-dev/berth/testutil/fixtures"
	"github.com/berth-dev/berth/testutil/registry"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address (default: random port on 127.0.0.1)")
	rate := flag.Int64("rate", 8<<20, "bytes per second per blob download or upload (0: unlimited)")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("demo-registry: ")

	// On-disk storage: the in-memory driver is slow for blobs of many MiB.
	dir, err := os.MkdirTemp("", "berth-demo-registry")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := seed(dir); err != nil {
		_ = os.RemoveAll(dir)
		log.Fatal(err)
	}
	// The samples are in dir; serve them with the rate limits.
	reg, err := registry.New(registry.Config{Addr: *addr, BlobRate: *rate, UploadRate: *rate, RootDir: dir})
	if err != nil {
		_ = os.RemoveAll(dir)
		log.Fatal(err)
	}
	fmt.Printf("REGISTRY=%s\n", reg.Host())
	log.Printf("serving demo/hello:latest, demo/big:latest and demo/multi:latest at %s", reg.Host())

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	sig := <-sigs
	log.Printf("%v: shutting down", sig)
	if err := reg.Close(); err != nil {
		log.Fatal(err)
	}
}

// seed pushes the samples into a registry on dir without rate limits, and
// stops it.
func seed(dir string) error {
	reg, err := registry.New(registry.Config{RootDir: dir})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = pushSamples(ctx, reg.Host())
	if cerr := reg.Close(); err == nil {
		err = cerr
	}
	return err
}

func pushSamples(ctx context.Context, host string) error {
	hello := fixtures.Image{
		Layers: []fixtures.Layer{
			{Seed: 101, Size: 768 << 10, NumFiles: 4, Files: []fixtures.File{
				{Path: "etc/os-release", Content: []byte("NAME=\"berth demo\"\nID=berth-demo\n")},
			}},
			{Seed: 102, Size: 512 << 10, NumFiles: 3},
			{Seed: 103, Size: 128 << 10, NumFiles: 2, Files: []fixtures.File{
				{Path: "usr/local/bin/hello", Content: []byte("#!/bin/sh\necho \"Hello from berth!\"\n"), Mode: 0o755},
			}},
		},
		Cmd:        []string{"/usr/local/bin/hello"},
		Env:        []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "GREETING=hello"},
		Labels:     map[string]string{"org.opencontainers.image.title": "hello", "org.opencontainers.image.vendor": "berth demo"},
		WorkingDir: "/",
	}
	if _, err := fixtures.Push(ctx, host, "demo/hello", "latest", hello); err != nil {
		return fmt.Errorf("push demo/hello: %w", err)
	}
	var big fixtures.Image
	for i, mib := range []int{12, 10, 7, 5, 2} {
		big.Layers = append(big.Layers, fixtures.Layer{Seed: 200 + int64(i), Size: mib << 20, NumFiles: 4})
	}
	big.Cmd = []string{"/bin/sh"}
	if _, err := fixtures.Push(ctx, host, "demo/big", "latest", big); err != nil {
		return fmt.Errorf("push demo/big: %w", err)
	}
	multi := fixtures.Index{Manifests: fixtures.Platforms("linux/amd64", "linux/arm64", "linux/arm/v7")}
	if _, err := fixtures.PushIndex(ctx, host, "demo/multi", "latest", multi); err != nil {
		return fmt.Errorf("push demo/multi: %w", err)
	}
	return nil
}
