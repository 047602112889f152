package integrationcli

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// The operations of the churn test: what each goroutine runs through the
// docker CLI, and which failures a user may see when another goroutine
// removed, pruned or re-tagged an image in between.

// Failures a concurrent removal explains, by what the user reads.
const (
	noSuchImage  = "No such image"
	notLocal     = "An image does not exist locally with the tag"
	tagGone      = "tag does not exist"
	mustBeForced = "(must be forced)"
	pruneRunning = "a prune operation is already running"
)

// churnOp is one kind of operation: its weight in the random choice, the
// command it runs (picked with r) or its SDK call, and the failures it may
// show.
type churnOp struct {
	name    string
	weight  int
	args    func(c *churn, r *rand.Rand, g int) []string // a docker command
	allowed []string
	api     apiOp // or an SDK call
}

// churn is what the churn goroutines share.
type churn struct {
	pulls   []string // references in the registry
	names   []string // every name an operation may use: pulls and aliases
	ids     []string // the image IDs of pulls
	archive string   // a `docker save` of two images, for `docker load`
	dir     string   // where saves are written
	savedOK []bool   // by goroutine: whether its last save succeeded

	mu         sync.Mutex
	outcomes   map[string]int // "op outcome" → count
	unexpected []string
}

// aliases are the names tags make (and pushes send, in a repository of
// their own, so the images pulled stay as pushed at the start).
func (c *churn) aliases() []string { return c.names[len(c.pulls):] }

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

// churnOps are the operations, with weights roughly as a busy CI host
// mixes them.
func churnOps() []churnOp {
	return []churnOp{
		{"pull", 6, func(c *churn, r *rand.Rand, _ int) []string { return []string{"pull", "-q", pick(r, c.pulls)} }, nil, nil},
		{"pull arm64", 1, func(c *churn, _ *rand.Rand, _ int) []string {
			return []string{"pull", "-q", "--platform", "linux/arm64", c.pulls[len(c.pulls)-1]}
		}, nil, nil},
		{"tag", 5, func(c *churn, r *rand.Rand, _ int) []string {
			src := pick(r, c.names)
			if r.IntN(3) == 0 {
				src = pick(r, c.ids)
			}
			return []string{"tag", src, pick(r, c.aliases())}
		}, []string{noSuchImage}, nil},
		{"rmi name", 4, func(c *churn, r *rand.Rand, _ int) []string { return []string{"rmi", pick(r, c.names)} }, []string{noSuchImage}, nil},
		{"rmi id", 2, func(c *churn, r *rand.Rand, _ int) []string { return []string{"rmi", pick(r, c.ids)} }, []string{noSuchImage, mustBeForced}, nil},
		{"rmi -f id", 1, func(c *churn, r *rand.Rand, _ int) []string { return []string{"rmi", "-f", pick(r, c.ids)} }, []string{noSuchImage}, nil},
		{"prune -a", 1, func(*churn, *rand.Rand, int) []string { return []string{"image", "prune", "-a", "-f"} }, []string{pruneRunning}, nil},
		{"images", 3, func(*churn, *rand.Rand, int) []string { return []string{"images", "-a"} }, nil, nil},
		{"inspect", 3, func(c *churn, r *rand.Rand, _ int) []string {
			return []string{"image", "inspect", pick(r, append(c.names, c.ids...))}
		}, []string{noSuchImage}, nil},
		{"history", 2, func(c *churn, r *rand.Rand, _ int) []string { return []string{"history", pick(r, c.names)} }, []string{noSuchImage}, nil},
		{"save", 3, func(c *churn, r *rand.Rand, g int) []string {
			args := []string{"save", "-o", c.saved(g), pick(r, c.names)}
			if r.IntN(3) == 0 {
				args = append(args, pick(r, c.ids))
			}
			return args
		}, []string{noSuchImage}, nil},
		{"load", 2, func(c *churn, r *rand.Rand, g int) []string {
			archive := c.archive
			if c.savedOK[g] && r.IntN(2) == 0 {
				archive = c.saved(g)
			}
			return []string{"load", "-q", "-i", archive}
		}, nil, nil},
		{"push", 2, func(c *churn, r *rand.Rand, _ int) []string { return []string{"push", "-q", pick(r, c.aliases())} }, []string{tagGone, notLocal, noSuchImage}, nil},
		{"system df", 1, func(*churn, *rand.Rand, int) []string { return []string{"system", "df"} }, nil, nil},
	}
}

// choose picks an operation by weight.
func choose(ops []churnOp, r *rand.Rand) churnOp {
	total := 0
	for _, op := range ops {
		total += op.weight
	}
	n := r.IntN(total)
	for _, op := range ops {
		if n < op.weight {
			return op
		}
		n -= op.weight
	}
	return ops[len(ops)-1]
}

// saved is the archive goroutine g saves to (and may load from, after a
// successful save).
func (c *churn) saved(g int) string { return filepath.Join(c.dir, fmt.Sprintf("save-%d.tar", g)) }

// record counts the outcome of goroutine g's operation (args is the
// command, or the API request): "ok", the allowed failure it showed, or
// unexpected (kept with the command and the message).
func (c *churn) record(g int, op churnOp, args []string, exit int, stderr string) {
	if op.name == "save" {
		c.savedOK[g] = exit == 0 // only g reads it
	}
	outcome := "ok"
	if exit != 0 {
		outcome = "unexpected"
		for _, a := range op.allowed {
			if strings.Contains(stderr, a) {
				outcome = a
				break
			}
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.outcomes[op.name+": "+outcome]++
	if outcome == "unexpected" {
		c.unexpected = append(c.unexpected, fmt.Sprintf("%s: exit %d: %s", strings.Join(args, " "), exit, strings.TrimSpace(stderr)))
	}
}

// figures returns the number of operations, the count of those that
// succeeded and the outcomes, sorted, as "op: outcome N".
func (c *churn) figures() (tried, ok int, rows []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, n := range c.outcomes {
		tried += n
		if strings.HasSuffix(k, ": ok") {
			ok += n
		}
		rows = append(rows, fmt.Sprintf("%s %d", k, n))
	}
	slices.Sort(rows)
	return tried, ok, rows
}
