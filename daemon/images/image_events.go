package images

import (
	"github.com/moby/moby/api/types/events"
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

// labels returns the config labels of the image's best manifest.
func (v *imageView) labels() map[string]string {
	if v == nil || v.best == nil || v.best.Config == nil {
		return nil
	}
	return v.best.Config.Config.Labels
}
