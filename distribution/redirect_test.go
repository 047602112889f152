package distribution

import (
	"net/url"
	"testing"
	"time"
)

func TestSameOrigin(t *testing.T) {
	cases := []struct {
		a, b string
		want bool
	}{
		{"https://reg.io/v2/x", "https://reg.io/other", true},
		{"https://reg.io/v2/x", "https://REG.io:443/v2/x", true},
		{"http://127.0.0.1:5000/v2/", "http://127.0.0.1:5001/v2/", false},
		{"https://reg.io/v2/", "http://reg.io/v2/", false},
		{"https://reg.io/v2/", "https://cdn.reg.io/v2/", false},
		{"http://reg.io/", "http://reg.io:80/", true},
	}
	for _, c := range cases {
		a, _ := url.Parse(c.a)
		b, _ := url.Parse(c.b)
		if got := sameOrigin(a, b); got != c.want {
			t.Errorf("sameOrigin(%s, %s) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for s, want := range map[string]time.Duration{
		"3":                             3 * time.Second,
		" 0 ":                           0,
		"Fri, 02 Jan 2026 03:04:15 GMT": 10 * time.Second,
		"Fri, 02 Jan 2026 03:00:00 GMT": 0,
	} {
		if got, ok := parseRetryAfter(s, now); !ok || got != want {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v", s, got, ok, want)
		}
	}
	for _, s := range []string{"", "-1", "soon"} {
		if _, ok := parseRetryAfter(s, now); ok {
			t.Errorf("parseRetryAfter(%q) accepted", s)
		}
	}
}
