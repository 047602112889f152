package server

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/api/server/httputils"
	"github.com/berth-dev/berth/api/server/router"
)

// endlessJSON is a JSON body that never ends: a server reading it whole
// would never answer.
type endlessJSON struct{ started bool }

func (e *endlessJSON) Read(p []byte) (int, error) {
	n := 0
	if !e.started {
		n = copy(p, `{"username":"`)
		e.started = true
	}
	for i := n; i < len(p); i++ {
		p[i] = 'x'
	}
	return len(p), nil
}

func jsonRoute() router.Route {
	return router.NewRoute("POST", "/json", func(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
		var v struct{ Username string }
		if err := httputils.ReadJSON(w, r, &v); err != nil {
			return err
		}
		return httputils.WriteJSON(w, http.StatusOK, v)
	})
}

// TestJSONBodyIsBounded sends a JSON body that never ends: the server
// answers 400 after reading MaxJSONBody bytes instead of buffering it.
func TestJSONBodyIsBounded(t *testing.T) {
	c := startServer(t, jsonRoute())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", "http://berth/json", &endlessJSON{})
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("no answer to an endless JSON body: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("status %d, want 400: %s", resp.StatusCode, body)
	}
	want := "request body too large: JSON request bodies are limited to 1048576 bytes"
	if got := errorMessage(t, string(body)); got != want {
		t.Errorf("message %q, want %q", got, want)
	}

	// A body under the limit is decoded as before.
	req, _ = http.NewRequest("POST", "http://berth/json", strings.NewReader(`{"username":"alice"}`))
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "alice") {
		t.Errorf("small body: %d %s", resp.StatusCode, body)
	}
}

// TestIdleConnectionIsClosed makes one request on a keep-alive connection
// and leaves it idle: the server closes it after its idle timeout.
func TestIdleConnectionIsClosed(t *testing.T) {
	sock := serveOn(t, Config{Version: "test", IdleTimeout: 200 * time.Millisecond}, jsonRoute())

	conn, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const body = `{"username":"bob"}`
	if _, err := io.WriteString(conn, "POST /json HTTP/1.1\r\nHost: berth\r\nContent-Length: 18\r\n\r\n"+body); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Close {
		t.Fatalf("status %d close=%v: want a kept-alive 200", resp.StatusCode, resp.Close)
	}
	// Far longer than the idle timeout: the server must have hung up by then.
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	n, err := br.Read(make([]byte, 1))
	if !errors.Is(err, io.EOF) {
		t.Fatalf("idle connection: read %d bytes, %v; want EOF (closed by the server)", n, err)
	}
}
