package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
)

// FlagLookup tells which keys were set on the command line and with what
// value, so the file can be merged without silently overriding a flag.
type FlagLookup func(key string) (value string, changed bool)

// LoadFile merges the daemon.json at path into c. A missing file is fine when
// required is false (the default path). Keys dockerd accepts that berthd
// does not implement are collected in c.Ignored; keys unknown to dockerd
// too, or set both in the file and by a flag, are errors, as in dockerd.
func (c *Config) LoadFile(path string, required bool, flags FlagLookup) error {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && !required {
			return nil
		}
		return fmt.Errorf("unable to configure the daemon with file %s: %w", path, err)
	}
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("unable to configure the daemon with file %s: %w", path, err)
	}
	keys := flatten(raw)
	known := jsonKeys()
	var unknown, ignored []string
	for k := range keys {
		if _, ok := known[k]; ok {
			continue
		}
		if _, flagName := flagNameKeys[k]; flagName || dockerdOnlyKeys[k] {
			ignored = append(ignored, k)
			continue
		}
		unknown = append(unknown, k)
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("unable to configure the daemon with file %s: the following directives don't match any configuration option: %s",
			path, strings.Join(unknown, ", "))
	}
	if err := checkGuardKeys(keys); err != nil {
		return fmt.Errorf("unable to configure the daemon with file %s: %w", path, err)
	}
	var conflicts []string
	own := map[string]json.RawMessage{}
	for k, v := range keys {
		flag, ok := known[k]
		if !ok {
			continue
		}
		own[k] = v
		if fv, changed := flags(flag); changed {
			conflicts = append(conflicts, fmt.Sprintf("%s: (from flag: %s, from file: %s)", k, fv, string(v)))
		}
	}
	if len(conflicts) > 0 {
		sort.Strings(conflicts)
		return fmt.Errorf("unable to configure the daemon with file %s: the following directives are specified both as a flag and in the configuration file: %s",
			path, strings.Join(conflicts, ", "))
	}
	for k, v := range own {
		if err := c.setKey(k, v); err != nil {
			return fmt.Errorf("unable to configure the daemon with file %s: %w", path, err)
		}
	}
	sort.Strings(ignored)
	c.Ignored = ignored
	return nil
}

// flatten reads nested objects as their keys, except for the keys whose
// value is an object (dockerd's flat options): {"proxies":{"http-proxy":…}}
// sets "http-proxy".
func flatten(raw map[string]json.RawMessage) map[string]json.RawMessage {
	out := map[string]json.RawMessage{}
	for k, v := range raw {
		var nested map[string]json.RawMessage
		if !flatKeys[k] && json.Unmarshal(v, &nested) == nil && nested != nil {
			for nk, nv := range nested {
				out[nk] = nv
			}
			continue
		}
		out[k] = v
	}
	return out
}

// setKey decodes one daemon.json value into its field.
func (c *Config) setKey(key string, value json.RawMessage) error {
	doc, err := json.Marshal(map[string]json.RawMessage{key: value})
	if err != nil {
		return err
	}
	return json.Unmarshal(doc, c)
}

// jsonKeys maps each daemon.json key to the flag that sets the same option.
func jsonKeys() map[string]string {
	flagFor := map[string]string{
		"hosts":               "host",
		"insecure-registries": "insecure-registry",
		"registry-mirrors":    "registry-mirror",
		"labels":              "label",
	}
	keys := map[string]string{}
	t := reflect.TypeOf(Config{})
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name == "-" || name == "" {
			continue
		}
		flag := name
		if f, ok := flagFor[name]; ok {
			flag = f
		}
		keys[name] = flag
	}
	return keys
}
