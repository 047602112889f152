package metrics

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
)

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	return rec.Body.String()
}

func TestActionsAndErrors(t *testing.T) {
	m := New(EngineInfo{Version: "1.2.3", DaemonID: "berth"})
	ok := m.StartAction("pull")
	if out := scrape(t, m); !strings.Contains(out, `berth_image_actions_in_flight{action="pull"} 1`) {
		t.Errorf("a running pull is not in flight:\n%s", out)
	}
	var err error
	ok.Done(&err)
	ok.Done(&err) // a second Done changes nothing
	err = fmt.Errorf("pull access denied: %w", errdefs.ErrNotFound)
	m.StartAction("pull").Done(&err)
	out := scrape(t, m)
	for _, want := range []string{
		`engine_daemon_image_actions_seconds_count{action="pull"} 1`,
		`berth_image_actions_in_flight{action="pull"} 0`,
		`berth_image_action_errors_total{action="pull",class="not_found"} 1`,
		`engine_daemon_engine_info{architecture="",commit="",daemon_id="berth"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %s:\n%s", want, out)
		}
	}
}

func TestNilMetricsIsANoop(t *testing.T) {
	var m *Metrics
	var err error = errdefs.ErrUnavailable
	m.StartAction("pull").Done(&err)
	m.GCRun(0, nil)
	if m.Transport(nil) != http.DefaultTransport {
		t.Error("nil metrics must not wrap the transport")
	}
}

func TestTransportCountsBodies(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, strings.Repeat("x", 1000))
	}))
	defer srv.Close()
	m := New(EngineInfo{})
	c := &http.Client{Transport: m.Transport(nil)}
	resp, err := c.Post(srv.URL, "application/octet-stream", strings.NewReader(strings.Repeat("y", 300)))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	out := scrape(t, m)
	for _, want := range []string{`berth_registry_bytes_total{direction="received"} 1000`, `berth_registry_bytes_total{direction="sent"} 300`} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %s:\n%s", want, out)
		}
	}
}

func TestErrorClass(t *testing.T) {
	for err, want := range map[error]string{
		errdefs.ErrPermissionDenied:                 "permission_denied",
		fmt.Errorf("x: %w", errdefs.ErrUnavailable): "unavailable",
		errdefs.ErrInvalidArgument:                  "invalid_argument",
		fmt.Errorf("plain"):                         "unknown",
	} {
		if got := ErrorClass(err); got != want {
			t.Errorf("ErrorClass(%v) = %s, want %s", err, got, want)
		}
	}
}
