// Package image reads what an image record points at: its manifest, index
// and config blobs (one reader, one error class), the manifests reachable
// through nested indexes (one walker), the platform manifest a pull or a
// run would choose, what kind of manifest a descriptor is, writing image
// blobs, and applying Dockerfile changes to an image config.
package image
