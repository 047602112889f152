package integration

import (
	"net/url"
	"strings"
	"testing"

	"github.com/moby/moby/client"
)

// TestImageTagAPI sends tag requests past the CLI's own validation: dockerd's
// answers for invalid names, 201 with an empty body on success.
func TestImageTagAPI(t *testing.T) {
	t.Parallel()
	e := newImgEnv(t)
	b := e.pushPull("src", "1", seedImage(130))
	path := "/images/" + b.Digest.String() + "/tag"
	for _, tc := range []struct {
		query  url.Values
		status int
		want   string
	}{
		{url.Values{"repo": {"Bad"}}, 400, `{"message":"invalid reference format: repository name (library/Bad) must be lowercase"}`},
		{url.Values{"repo": {"team/Upper"}}, 400, `{"message":"invalid reference format: repository name (team/Upper) must be lowercase"}`},
		{url.Values{"repo": {"ok"}, "tag": {"no/slash"}}, 400, `{"message":"invalid tag format"}`},
		{url.Values{"repo": {"sha256"}, "tag": {"abc"}}, 400, "refusing to create an ambiguous tag using digest algorithm as name"},
		{url.Values{"repo": {"x@" + b.Digest.String()}}, 400, "cannot import digest reference"},
		{url.Values{}, 400, "repository name must have at least one component"},
		{url.Values{"repo": {"ok"}, "tag": {"1"}}, 201, ""},
	} {
		status, body := e.raw("POST", path, tc.query)
		if status != tc.status || !strings.Contains(body, tc.want) || (status == 201 && body != "") {
			t.Errorf("tag %v: %d %q, want %d %q", tc.query, status, body, tc.status, tc.want)
		}
	}
	status, body := e.raw("POST", "/images/nope/tag", url.Values{"repo": {"x"}})
	if status != 404 || !strings.Contains(body, "No such image: nope:latest") {
		t.Errorf("tag of an unknown image: %d %s", status, body)
	}
	res, err := e.api.ImageInspect(e.ctx, "ok:1")
	if err != nil || res.ID != b.Digest.String() {
		t.Errorf("ok:1 after tagging: %v %v", res.ID, err)
	}
}

// TestImageDeleteAPI checks the statuses of delete: 409 for a conflict, 404
// for an unknown image, 400 for a blank name, and the response list.
func TestImageDeleteAPI(t *testing.T) {
	t.Parallel()
	e := newImgEnv(t)
	b := e.pushPull("one", "1", seedImage(131))
	if _, err := e.api.ImageTag(e.ctx, client.ImageTagOptions{Source: b.Digest.String(), Target: "two:1"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path   string
		status int
		want   string
	}{
		{"/images/" + b.Digest.String(), 409, "conflict: unable to delete " + b.Digest.Encoded()[:12] + " (must be forced) - image is referenced in multiple repositories"},
		{"/images/nope", 404, "No such image: nope:latest"},
		{"/images/%20", 400, "image name cannot be blank"},
	} {
		status, body := e.raw("DELETE", tc.path, nil)
		if status != tc.status || !strings.Contains(body, tc.want) {
			t.Errorf("DELETE %s: %d %s, want %d %q", tc.path, status, body, tc.status, tc.want)
		}
	}
	res, err := e.api.ImageRemove(e.ctx, b.Digest.String(), client.ImageRemoveOptions{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range res.Items {
		got = append(got, "U="+d.Untagged+" D="+d.Deleted)
	}
	want := []string{"U=" + e.ref("one", "1") + " D=", "U=two:1 D=", "U= D=" + b.Digest.String()}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("force delete answered %q, want %q", got, want)
	}
}
