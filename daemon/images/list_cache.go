package images

import (
	"slices"

	imagetypes "github.com/moby/moby/api/types/image"

	"github.com/berth-dev/berth/api/types/backend"
)

// An unfiltered listing depends only on the metadata (records, blobs,
// snapshots) and the options, so in embedded mode it is kept until either
// storage generation moves: repeating `docker images` over 10,000 images
// with nothing changed costs the JSON encoding only. Filtered listings are
// always built (the time filters are relative to now).

// maxCachedLists bounds the listings kept (one per option set).
const maxCachedLists = 8

// listKey is the options an unfiltered listing depends on.
type listKey struct {
	all, sharedSize, manifests, identity bool
}

// cachedList is a listing built at storage generations writes, removals.
type cachedList struct {
	writes, removals uint64
	list             []imagetypes.Summary // shared, read-only
}

// listCacheKey returns the key of opts and the generations now, and
// whether the listing may be cached at all.
func (s *ImageService) listCacheKey(opts backend.ListOptions) (listKey, cachedList, bool) {
	writes, removals, ok := s.generations()
	if !ok || len(opts.Filters) > 0 {
		return listKey{}, cachedList{}, false
	}
	key := listKey{all: opts.All, sharedSize: opts.SharedSize, manifests: opts.Manifests, identity: opts.Identity}
	return key, cachedList{writes: writes, removals: removals}, true
}

// cachedListing returns a copy of the listing kept for key at the
// generations of at, if any. The copy's elements may be changed (the
// router shapes them per API version); what they point to may not.
func (c *metaCaches) cachedListing(key listKey, at cachedList) ([]imagetypes.Summary, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	kept, ok := c.lists[key]
	if !ok || kept.writes != at.writes || kept.removals != at.removals {
		return nil, false
	}
	return slices.Clone(kept.list), true
}

// keepListing keeps a copy of list, built at the generations of at, for key.
func (c *metaCaches) keepListing(key listKey, at cachedList, list []imagetypes.Summary) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lists == nil {
		c.lists = map[listKey]cachedList{}
	}
	for k, kept := range c.lists {
		if kept.writes != at.writes || kept.removals != at.removals {
			delete(c.lists, k) // stale
		}
	}
	if _, ok := c.lists[key]; !ok && len(c.lists) >= maxCachedLists {
		return
	}
	at.list = slices.Clone(list)
	c.lists[key] = at
}
