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
// required is false (the default path); keys unknown to berth, or set both in
// the file and by a flag, are start-up errors, as in dockerd.
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
	known := jsonKeys()
	var unknown []string
	for k := range raw {
		if _, ok := known[k]; !ok {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("unable to configure the daemon with file %s: the following directives don't match any configuration option: %s",
			path, strings.Join(unknown, ", "))
	}
	var conflicts []string
	for k, v := range raw {
		if fv, changed := flags(known[k]); changed {
			conflicts = append(conflicts, fmt.Sprintf("%s: (from flag: %s, from file: %s)", k, fv, string(v)))
		}
	}
	if len(conflicts) > 0 {
		sort.Strings(conflicts)
		return fmt.Errorf("unable to configure the daemon with file %s: the following directives are specified both as a flag and in the configuration file: %s",
			path, strings.Join(conflicts, ", "))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(c); err != nil {
		return fmt.Errorf("unable to configure the daemon with file %s: %w", path, err)
	}
	return nil
}

// jsonKeys maps each daemon.json key to the flag that sets the same option.
func jsonKeys() map[string]string {
	flagFor := map[string]string{
		"hosts":               "host",
		"insecure-registries": "insecure-registry",
		"registry-mirrors":    "registry-mirror",
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
