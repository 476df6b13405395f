package session

import (
	"context"
	"fmt"
	"image"

	"camscope/app/display"
	"camscope/app/explain"
	"camscope/inference/cam"
)

// Scrubber is the layer scrubber on one tile: the map of the tile's class
// at every layer its model offers (Layers, from the first to the last),
// computed all at once by Compute (one forward pass and, for a gradient
// method, one backward pass: explain.LayerMaps), then each drawn over the
// display copy of the photo the first time Image asks for it and kept, so
// that moving along the layers runs nothing.
type Scrubber struct {
	Layers []LayerChoice
	Method explain.Method // the method the maps are computed with (ScrubMethod)
	// Note says why Method is not the chosen one, or "".
	Note string

	tile      *display.Tile
	scene     *display.Scene // a copy of the tile's scene as it was
	layerMaps func(ctx context.Context, m *explain.Model, img *image.RGBA, method explain.Method, layers []string, class int) ([]cam.Map, error)
	maps      []cam.Map
	images    []*image.RGBA
}

// ScrubMethod is the method the layer scrubber computes maps with for the
// chosen method m: LiveMethod's, and Grad-CAM for CAM, which applies only
// at the layer that feeds the pooling (and equals Grad-CAM there but for
// the scale).
func ScrubMethod(m explain.Method) explain.Method {
	if m == explain.CAM {
		return explain.GradCAM
	}
	return LiveMethod(m)
}

// Scrubber returns the layer scrubber on tile t of scene, or nil when its
// model has no layers to choose from (several models compared, or a
// stand-in without an engine). Call Compute off the GUI goroutine.
func (s *Session) Scrubber(scene *display.Scene, t *display.Tile) *Scrubber {
	m := t.Result.Model
	if m.Engine == nil {
		return nil
	}
	layers := layerChoices(m)
	if len(layers) == 0 {
		return nil
	}
	chosen := t.Result.Request.Method
	sc := &Scrubber{Layers: layers, Method: ScrubMethod(chosen), tile: t,
		scene:     &display.Scene{Photo: scene.Photo, Scale: scene.Scale, View: scene.View},
		layerMaps: s.runner.funcs.LayerMaps, images: make([]*image.RGBA, len(layers))}
	if sc.layerMaps == nil {
		sc.layerMaps = explain.LayerMaps
	}
	if sc.Method != chosen {
		sc.Note = fmt.Sprintf("%s at every layer: %s", MethodName(sc.Method), scrubWhy(chosen))
	}
	return sc
}

// scrubWhy says why the scrubber does not use method m.
func scrubWhy(m explain.Method) string {
	if m == explain.CAM {
		return "CAM applies only at the last layer (where Grad-CAM is CAM scaled)."
	}
	return MethodName(m) + " runs a forward pass per channel or square, too slow for every layer."
}

// Start is the index in Layers of the tile's own layer.
func (sc *Scrubber) Start() int {
	for i, l := range sc.Layers {
		if l.Name == sc.tile.Result.Request.Layer {
			return i
		}
	}
	return len(sc.Layers) - 1
}

// Compute computes the map of the tile's class at every layer. It is slow
// (a forward and a backward pass): call it off the GUI goroutine, and
// Image only once it has returned.
func (sc *Scrubber) Compute(ctx context.Context) error {
	names := make([]string, len(sc.Layers))
	for i, l := range sc.Layers {
		names[i] = l.Name
	}
	r := sc.tile.Result
	maps, err := sc.layerMaps(ctx, r.Model, r.Photo, sc.Method, names, sc.tile.Class.Index)
	if err != nil {
		return err
	}
	if len(maps) != len(names) {
		return fmt.Errorf("%d maps for %d layers", len(maps), len(names))
	}
	sc.maps = maps
	return nil
}

// Image is the map of layer i (an index in Layers) over the display copy
// of the photo, normalised on its own (layers' values differ by orders of
// magnitude); nil before Compute.
func (sc *Scrubber) Image(i int) *image.RGBA {
	if sc.maps == nil || i < 0 || i >= len(sc.maps) {
		return nil
	}
	if sc.images[i] == nil {
		r := sc.tile.Result
		req := r.Request
		req.Method, req.Layer = sc.Method, sc.Layers[i].Name
		res := &explain.Result{Model: r.Model, Request: req, Photo: r.Photo, Geometry: r.Geometry,
			Classes: []explain.Explained{{Class: sc.tile.Class.Class, Rank: sc.tile.Class.Rank, Map: sc.maps[i]}}}
		v := sc.scene.View
		v.Scale = display.PerTile
		sc.images[i] = sc.scene.Rescale([]*explain.Result{res}, v).Rows[0][0].Image
	}
	return sc.images[i]
}
