package httputils

import (
	"bytes"
	"encoding/json"
)

// Legacy is a response reshaped for an older API version: Base marshalled,
// then fields added (Extra) and removed (Omit). Extra merges into nested
// objects ("Config": {"Hostname": ""} adds to Base's Config) and never
// overwrites a value Base has.
type Legacy struct {
	Base  any
	Extra map[string]any
	Omit  []string
}

// MarshalJSON implements json.Marshaler.
func (l Legacy) MarshalJSON() ([]byte, error) {
	base, err := marshalNoEscape(l.Base)
	if err != nil || (len(l.Extra) == 0 && len(l.Omit) == 0) {
		return base, err
	}
	var m map[string]any
	if err := json.Unmarshal(base, &m); err != nil {
		return nil, err
	}
	for _, k := range l.Omit {
		delete(m, k)
	}
	mergeFields(m, l.Extra)
	return marshalNoEscape(m)
}

// mergeFields adds src's keys to dst where dst has none (or null), going
// into objects both have.
func mergeFields(dst, src map[string]any) {
	for k, v := range src {
		if sub, ok := v.(map[string]any); ok {
			if dsub, ok := dst[k].(map[string]any); ok {
				mergeFields(dsub, sub)
				continue
			}
		}
		if cur, ok := dst[k]; !ok || cur == nil {
			dst[k] = v
		}
	}
}

func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
