// Package integrationcli tests berthd with the real docker CLI: each test
// starts a real berthd and an in-process registry, runs docker commands
// against it and checks their output, exit codes and what is stored.
package integrationcli
