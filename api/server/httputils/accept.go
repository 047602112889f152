package httputils

import (
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// MatchAccept returns the offer the request's Accept header lists with the
// highest q-value (earlier offers win ties), as dockerd's strict matching:
// only exact media types count, wildcards and q=0 are ignored. "" when none
// is listed.
func MatchAccept(h http.Header, offers []string) string {
	best, bestQ := "", -1.0
	for _, offer := range offers {
		for _, value := range h.Values("Accept") {
			for _, part := range strings.Split(value, ",") {
				typ, params, err := mime.ParseMediaType(strings.TrimSpace(part))
				if err != nil || typ != offer {
					continue
				}
				q := 1.0
				if v, ok := params["q"]; ok {
					if q, err = strconv.ParseFloat(v, 64); err != nil {
						continue
					}
				}
				if q > 0 && q > bestQ {
					best, bestQ = offer, q
				}
			}
		}
	}
	return best
}
