package config

import (
	"encoding/json"
	"fmt"
	"time"
)

// Duration is a time.Duration written as Go writes it ("30s", "1m30s") in
// daemon.json and on the command line (it is a pflag.Value).
type Duration time.Duration

func (d Duration) String() string { return time.Duration(d).String() }

// Set parses a flag value.
func (d *Duration) Set(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("invalid duration %q: want a number with a unit, as 30s or 1m", s)
	}
	*d = Duration(v)
	return nil
}

// Type names the flag's value in the help.
func (d *Duration) Type() string { return "duration" }

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("invalid duration %s: want a string, as \"30s\" or \"1m\"", b)
	}
	return d.Set(s)
}
