package images

import (
	"context"

	"github.com/moby/moby/api/types/events"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// logImageEvent records an image event as dockerd does for tag, untag and
// delete: the actor is the image ID, its attributes the image's config
// labels plus "name" (the tag concerned, or the ID for delete).
func (s *ImageService) logImageEvent(action events.Action, imageID, name string, labels map[string]string) {
	if s.events == nil {
		return
	}
	attrs := make(map[string]string, len(labels)+1)
	for k, v := range labels {
		attrs[k] = v
	}
	if name != "" {
		attrs["name"] = name
	}
	s.events.Log(events.ImageEventType, action, events.Actor{ID: imageID, Attributes: attrs})
}

// eventLabels are the config labels of the image target describes (its
// best manifest), for an event's attributes; nil when unreadable.
func (s *ImageService) eventLabels(ctx context.Context, target ocispec.Descriptor) map[string]string {
	list, err := s.platformManifests(ctx, target)
	if err != nil {
		return nil
	}
	return configLabels(bestManifest(list, nil))
}
