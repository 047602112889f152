// Package integration tests berthd through the Go SDK and the raw Engine
// API: each test starts a real berthd and an in-process registry and checks
// what a client sees (status codes, bodies, streams) against dockerd's.
package integration
