package integration

import (
	"encoding/json"
	"fmt"
	"os"
	pathpkg "path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v2"
)

// dockerdDeviations are the places where dockerd's own responses differ
// from its swagger.yaml, and berthd answers as dockerd: a path pattern
// ("*" is one segment) and what dockerd does there.
type deviation struct{ path, what string }

var dockerdDeviations = []deviation{
	// Sent as null to API < 1.47 (moby's system router adds them so).
	{"$.RegistryConfig.AllowNondistributableArtifactsCIDRs", "null"},
	{"$.RegistryConfig.AllowNondistributableArtifactsHostnames", "null"},
	// Image config fields API < 1.52 always carried, null when unset.
	{"$.Config.*", "null"},
	{"$.ContainerConfig.*", "null"},
	// Not versioned in dockerd: sent to every API version.
	{"$.CDISpecDirs", "extra"},
	{"$.OSVersion", "extra"},
}

func (c *validation) deviates(path, what string) bool {
	for _, d := range append(dockerdDeviations, c.allow...) {
		if d.what != what {
			continue
		}
		if ok, _ := pathpkg.Match(d.path, path); ok {
			return true
		}
	}
	return false
}

// apiSpec is moby's swagger.yaml of one Engine API version (copied from the
// docs/ folder of the github.com/moby/moby/api module into
// testdata/swagger; Apache-2.0, see the LICENSE there).
type apiSpec struct {
	version string
	doc     map[string]any
}

func loadSpec(t *testing.T, version string) *apiSpec {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "swagger", "v"+version+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var raw any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		t.Fatalf("swagger v%s: %v", version, err)
	}
	doc, _ := stringKeys(raw).(map[string]any)
	return &apiSpec{version: version, doc: doc}
}

// stringKeys turns the YAML decoder's map[interface{}]interface{} into
// map[string]any, recursively.
func stringKeys(v any) any {
	switch x := v.(type) {
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, val := range x {
			m[fmt.Sprint(k)] = stringKeys(val)
		}
		return m
	case []any:
		for i := range x {
			x[i] = stringKeys(x[i])
		}
	}
	return v
}

// responseSchema is the schema the spec documents for the response of
// method on path (a swagger path such as "/images/{name}/json") with the
// given status; nil when the spec documents none.
func (s *apiSpec) responseSchema(t *testing.T, method, path string, status int) map[string]any {
	t.Helper()
	ops, ok := s.doc["paths"].(map[string]any)[path].(map[string]any)
	if !ok {
		t.Fatalf("swagger v%s has no path %s", s.version, path)
	}
	op, ok := ops[strings.ToLower(method)].(map[string]any)
	if !ok {
		t.Fatalf("swagger v%s has no %s %s", s.version, method, path)
	}
	resp, ok := op["responses"].(map[string]any)[strconv.Itoa(status)].(map[string]any)
	if !ok {
		if status >= 400 {
			// Every error body is an ErrorResponse.
			return map[string]any{"$ref": "#/definitions/ErrorResponse"}
		}
		t.Fatalf("swagger v%s documents no %d for %s %s", s.version, status, method, path)
	}
	schema, _ := resp["schema"].(map[string]any)
	return schema
}

// validation is one check of a body: the deviations from the spec it
// allows beyond dockerdDeviations, and what it found.
type validation struct {
	*apiSpec
	allow []deviation
	errs  []string
}

// check validates body (JSON) against schema and returns the violations.
func (s *apiSpec) check(schema map[string]any, body []byte, allow ...deviation) []string {
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return []string{"not JSON: " + err.Error()}
	}
	c := &validation{apiSpec: s, allow: allow}
	c.validate(schema, v, "$")
	return c.errs
}

func (s *apiSpec) resolve(schema map[string]any) map[string]any {
	for {
		ref, ok := schema["$ref"].(string)
		if !ok {
			return schema
		}
		name := strings.TrimPrefix(ref, "#/definitions/")
		schema = s.doc["definitions"].(map[string]any)[name].(map[string]any)
	}
}

// validate checks v against schema: types, required properties, no
// properties the version does not document, and null only where the spec
// says x-nullable.
func (c *validation) validate(schema map[string]any, v any, at string) {
	s := c.apiSpec
	nullable, _ := schema["x-nullable"].(bool)
	schema = s.resolve(schema)
	if n, ok := schema["x-nullable"].(bool); ok {
		nullable = nullable || n
	}
	if all, ok := schema["allOf"].([]any); ok {
		for _, sub := range all {
			c.validate(sub.(map[string]any), v, at)
		}
		return
	}
	if v == nil {
		if !nullable && schema["type"] != nil && !c.deviates(at, "null") {
			c.errs = append(c.errs, at+": null, but the spec does not allow null")
		}
		return
	}
	typ, _ := schema["type"].(string)
	if typ == "" && schema["properties"] != nil {
		typ = "object"
	}
	switch typ {
	case "object":
		obj, ok := v.(map[string]any)
		if !ok {
			c.errs = append(c.errs, fmt.Sprintf("%s: %T, want an object", at, v))
			return
		}
		props, _ := schema["properties"].(map[string]any)
		for _, r := range asList(schema["required"]) {
			if _, ok := obj[r]; !ok {
				c.errs = append(c.errs, at+": lacks required "+r)
			}
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if p, ok := props[k].(map[string]any); ok {
				c.validate(p, obj[k], at+"."+k)
				continue
			}
			switch add := schema["additionalProperties"].(type) {
			case map[string]any:
				c.validate(add, obj[k], at+"."+k)
			case bool:
				if !add && !c.deviates(at+"."+k, "extra") {
					c.errs = append(c.errs, at+": has "+k+", which API "+s.version+" does not have")
				}
			default:
				if props != nil && !c.deviates(at+"."+k, "extra") {
					c.errs = append(c.errs, at+": has "+k+", which API "+s.version+" does not have")
				}
			}
		}
	case "array":
		arr, ok := v.([]any)
		if !ok {
			c.errs = append(c.errs, fmt.Sprintf("%s: %T, want an array", at, v))
			return
		}
		if items, ok := schema["items"].(map[string]any); ok {
			for i, e := range arr {
				c.validate(items, e, fmt.Sprintf("%s[%d]", at, i))
			}
		}
	case "string":
		if _, ok := v.(string); !ok {
			c.errs = append(c.errs, fmt.Sprintf("%s: %v, want a string", at, v))
		} else if enum := asList(schema["enum"]); len(enum) > 0 && !contains(enum, v.(string)) {
			c.errs = append(c.errs, fmt.Sprintf("%s: %q is not one of %q", at, v, enum))
		}
	case "integer":
		n, ok := v.(json.Number)
		if _, err := n.Int64(); !ok || err != nil {
			c.errs = append(c.errs, fmt.Sprintf("%s: %v, want an integer", at, v))
		}
	case "number":
		if _, ok := v.(json.Number); !ok {
			c.errs = append(c.errs, fmt.Sprintf("%s: %v, want a number", at, v))
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			c.errs = append(c.errs, fmt.Sprintf("%s: %v, want a boolean", at, v))
		}
	}
}

func asList(v any) []string {
	var out []string
	for _, e := range asAnyList(v) {
		out = append(out, fmt.Sprint(e))
	}
	return out
}

func asAnyList(v any) []any {
	l, _ := v.([]any)
	return l
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
