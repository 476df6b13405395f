package session

import (
	"context"
	"testing"

	"camscope/app/explain"
	"camscope/app/render"
	"camscope/app/shapes"
	"camscope/inference/cam"
)

// TestOcclusionPeaksOnTheShape checks the occlusion map with a known
// answer: on scenes of one shape, each recognised by the built-in model,
// the map of the shape's class peaks inside the shape's box, give or take
// half the square (a square that overlaps the shape's edge hides some of
// it, and the map averages the squares over each pixel).
func TestOcclusionPeaksOnTheShape(t *testing.T) {
	m, err := DefaultModel()
	if err != nil {
		t.Fatal(err)
	}
	opt := shapes.Options{MaxShapes: 1}
	checked := 0
	for i := range uint64(12) {
		scene := opt.Scene(17, i)
		res, err := explain.Photo(context.Background(), m, render.ToRGBA(scene.Image), explain.Request{Method: explain.Occlusion, TopK: 1})
		if err != nil {
			t.Fatal(err)
		}
		c := res.Classes[0]
		if c.Index != int(scene.Label) {
			continue
		}
		checked++
		peak := 0
		for j, v := range c.Map.Data {
			if v > c.Map.Data[peak] {
				peak = j
			}
		}
		x, y := peak%c.Map.W, peak/c.Map.W
		if c.Map.W != shapes.DefaultSize || c.Map.H != shapes.DefaultSize {
			t.Fatalf("a %dx%d map for a %d-pixel input", c.Map.W, c.Map.H, shapes.DefaultSize)
		}
		win, _ := cam.OcclusionWindow(shapes.DefaultSize, shapes.DefaultSize)
		if box := scene.Box().Inset(-win / 2); x < box.Min.X || x >= box.Max.X || y < box.Min.Y || y >= box.Max.Y {
			t.Errorf("scene %d (%s): the map peaks at (%d,%d), more than half a square outside the shape's box %v", i, scene.Label, x, y, box)
		}
	}
	if checked < 8 {
		t.Errorf("the model recognised only %d of 12 scenes", checked)
	}
}
