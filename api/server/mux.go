package server

import (
	"strings"

	"github.com/berth-dev/berth/api/server/router"
)

// pattern is a compiled route path. Segments are literals, "{x}" (one
// segment) or "{x:.*}" (one or more segments, matched greedily but leaving
// room for the literal segments after it).
type pattern struct {
	route    router.Route
	segments []segment
}

type segment struct {
	literal string
	param   string
	greedy  bool
}

func compile(r router.Route) pattern {
	p := pattern{route: r}
	for _, s := range strings.Split(strings.Trim(r.Path, "/"), "/") {
		switch {
		case strings.HasPrefix(s, "{") && strings.HasSuffix(s, ":.*}"):
			p.segments = append(p.segments, segment{param: s[1 : len(s)-4], greedy: true})
		case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}"):
			p.segments = append(p.segments, segment{param: s[1 : len(s)-1]})
		default:
			p.segments = append(p.segments, segment{literal: s})
		}
	}
	return p
}

// match reports whether path fits the pattern and returns its parameters.
func (p pattern) match(path string) (map[string]string, bool) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	vars := map[string]string{}
	if !matchSegments(p.segments, parts, vars) {
		return nil, false
	}
	return vars, true
}

func matchSegments(segs []segment, parts []string, vars map[string]string) bool {
	if len(segs) == 0 {
		return len(parts) == 0
	}
	if len(parts) == 0 {
		return false
	}
	s := segs[0]
	switch {
	case s.greedy:
		// Take as many segments as possible while the rest still matches.
		for n := len(parts) - len(segs) + 1; n >= 1; n-- {
			if matchSegments(segs[1:], parts[n:], vars) {
				vars[s.param] = strings.Join(parts[:n], "/")
				return true
			}
		}
		return false
	case s.param != "":
		if parts[0] == "" {
			return false
		}
		vars[s.param] = parts[0]
	default:
		if parts[0] != s.literal {
			return false
		}
	}
	return matchSegments(segs[1:], parts[1:], vars)
}

// mux finds the route for a method and path.
type mux struct {
	patterns []pattern
}

func (m *mux) add(r router.Route) {
	m.patterns = append(m.patterns, compile(r))
}

// lookup returns the matching route; methodMismatch is true when the path
// exists for another method.
func (m *mux) lookup(method, path string) (route router.Route, vars map[string]string, found bool) {
	for _, p := range m.patterns {
		if p.route.Method != method && !(method == "HEAD" && p.route.Method == "GET") {
			continue
		}
		if v, ok := p.match(path); ok {
			// An exact-method route wins over a GET route answering HEAD.
			if p.route.Method != method {
				if r, v2, ok := m.exact(method, path); ok {
					return r, v2, true
				}
			}
			return p.route, v, true
		}
	}
	return router.Route{}, nil, false
}

func (m *mux) exact(method, path string) (router.Route, map[string]string, bool) {
	for _, p := range m.patterns {
		if p.route.Method != method {
			continue
		}
		if v, ok := p.match(path); ok {
			return p.route, v, true
		}
	}
	return router.Route{}, nil, false
}
