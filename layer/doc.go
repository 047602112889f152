// Package layer holds what concerns layer blobs: chain and diff IDs, layer
// media types and compression detection (gzip, zstd, uncompressed), creating
// a layer blob from a tar stream and reading one back.
package layer
