package integrationcli

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/containerd/errdefs/pkg/errhttp"
	"github.com/moby/moby/client"
)

// The churn operations that go through the Go SDK (moby/moby/client)
// instead of the CLI: there the answer's HTTP status is checked, not only
// the message.

// apiOp is an SDK call; its failures are allowed by status ("HTTP 404").
type apiOp func(ctx context.Context, api *client.Client, c *churn, r *rand.Rand) (what string, err error)

// apiOps are the SDK operations.
func apiOps() []churnOp {
	return []churnOp{
		{name: "api list", weight: 2, api: func(ctx context.Context, api *client.Client, _ *churn, _ *rand.Rand) (string, error) {
			_, err := api.ImageList(ctx, client.ImageListOptions{All: true, Manifests: true})
			return "GET /images/json", err
		}},
		{name: "api inspect", weight: 2, allowed: []string{"HTTP 404"}, api: func(ctx context.Context, api *client.Client, c *churn, r *rand.Rand) (string, error) {
			name := pick(r, append(c.names, c.ids...))
			_, err := api.ImageInspect(ctx, name, client.ImageInspectWithManifests(true))
			return "GET /images/" + name + "/json?manifests=1", err
		}},
		{name: "api remove", weight: 2, allowed: []string{"HTTP 404", "HTTP 409"}, api: func(ctx context.Context, api *client.Client, c *churn, r *rand.Rand) (string, error) {
			name, force := pick(r, append(c.names, c.ids...)), r.IntN(2) == 0
			_, err := api.ImageRemove(ctx, name, client.ImageRemoveOptions{Force: force, PruneChildren: true})
			return fmt.Sprintf("DELETE /images/%s?force=%v", name, force), err
		}},
		{name: "api df", weight: 1, api: func(ctx context.Context, api *client.Client, _ *churn, _ *rand.Rand) (string, error) {
			_, err := api.DiskUsage(ctx, client.DiskUsageOptions{Images: true})
			return "GET /system/df", err
		}},
	}
}

// runAPI runs op and returns what it did, 0 or 1 and the status and error.
func runAPI(api *client.Client, op churnOp, c *churn, r *rand.Rand) ([]string, int, string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	what, err := op.api(ctx, api, c, r)
	if err == nil {
		return []string{what}, 0, ""
	}
	return []string{what}, 1, fmt.Sprintf("HTTP %d: %v", errhttp.ToHTTP(err), err)
}
