package shapes

import (
	"bytes"
	"image"
	"testing"
)

func TestSceneDeterministic(t *testing.T) {
	o := Options{}
	for i := uint64(0); i < 20; i++ {
		a, b := o.Scene(7, i), o.Scene(7, i)
		if !bytes.Equal(a.Image.Pix, b.Image.Pix) || a.Label != b.Label || len(a.Objects) != len(b.Objects) {
			t.Fatalf("scene %d differs between two draws", i)
		}
		for k := range a.Objects {
			if a.Objects[k] != b.Objects[k] {
				t.Fatalf("scene %d object %d differs", i, k)
			}
		}
	}
	if bytes.Equal(o.Scene(7, 0).Image.Pix, o.Scene(8, 0).Image.Pix) {
		t.Error("different seeds gave the same scene")
	}
}

func TestSceneGroundTruth(t *testing.T) {
	for _, o := range []Options{{}, {Size: 96, MinShapes: 3, MaxShapes: 3}, {MaxShapes: 1}} {
		o = o.norm()
		frame := image.Rect(0, 0, o.Size, o.Size)
		for i := uint64(0); i < 100; i++ {
			s := o.Scene(3, i)
			if s.Image.Bounds() != frame {
				t.Fatalf("scene %d: bounds %v", i, s.Image.Bounds())
			}
			if n := len(s.Objects); n < o.MinShapes-1 || n > o.MaxShapes || n == 0 {
				t.Fatalf("scene %d: %d objects for options %+v", i, n, o)
			}
			if s.Label != s.Objects[0].Class {
				t.Fatalf("scene %d: label %v but dominant object %v", i, s.Label, s.Objects[0].Class)
			}
			for k, ob := range s.Objects {
				if ob.Box.Empty() || !ob.Box.In(frame) {
					t.Fatalf("scene %d object %d: box %v not inside the image", i, k, ob.Box)
				}
				if k > 0 && ob.Area > 0.6*s.Objects[0].Area {
					t.Errorf("scene %d object %d: area %.0f not clearly below the dominant %.0f", i, k, ob.Area, s.Objects[0].Area)
				}
				for j := 0; j < k; j++ {
					if ob.Box.Overlaps(s.Objects[j].Box) {
						t.Errorf("scene %d: objects %d and %d overlap", i, j, k)
					}
				}
			}
		}
	}
}

// TestBoxesMatchPixels draws each scene twice, with and without its shapes:
// the pixels that changed must lie in the shapes' boxes (give or take the
// anti-aliased rim, which at a star's thin tip reaches two pixels past the
// half-covered ones), and every box must be filled with changed pixels up to
// its edges.
func TestBoxesMatchPixels(t *testing.T) {
	o := Options{}
	for i := uint64(0); i < 100; i++ {
		s := o.Scene(11, i)
		bare := o
		bare.skipShapes = true
		b := bare.Scene(11, i)
		changed := func(x, y int) bool {
			p, q := s.Image.PixOffset(x, y), b.Image.PixOffset(x, y)
			d := 0
			for c := 0; c < 3; c++ {
				d += abs(int(s.Image.Pix[p+c]) - int(b.Image.Pix[q+c]))
			}
			return d > 0
		}
		for y := 0; y < s.Image.Rect.Dy(); y++ {
			for x := 0; x < s.Image.Rect.Dx(); x++ {
				if !changed(x, y) {
					continue
				}
				in := false
				for _, ob := range s.Objects {
					if image.Pt(x, y).In(ob.Box.Inset(-2)) {
						in = true
					}
				}
				if !in {
					t.Fatalf("scene %d: pixel (%d,%d) changed outside every box", i, x, y)
				}
			}
		}
		for k, ob := range s.Objects {
			tight := image.Rectangle{Min: ob.Box.Max, Max: ob.Box.Min}
			for y := ob.Box.Min.Y; y < ob.Box.Max.Y; y++ {
				for x := ob.Box.Min.X; x < ob.Box.Max.X; x++ {
					if changed(x, y) {
						tight = tight.Union(image.Rect(x, y, x+1, y+1))
					}
				}
			}
			if tight != ob.Box {
				t.Errorf("scene %d object %d (%v): box %v, changed pixels span %v", i, k, ob.Class, ob.Box, tight)
			}
		}
	}
}

func TestClassBalance(t *testing.T) {
	var n [NumClasses]int
	const total = 4000
	for i := uint64(0); i < total; i++ {
		n[(Options{MaxShapes: 1}).Scene(5, i).Label]++
	}
	want := total / NumClasses
	for c, k := range n {
		if k < want*8/10 || k > want*12/10 {
			t.Errorf("class %v: %d scenes of %d, want about %d", Class(c), k, total, want)
		}
	}
}

func TestToCHW(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 2, 1))
	copy(img.Pix, []uint8{255, 0, 51, 255, 0, 102, 0, 255})
	got := ToCHW(make([]float32, 6), img)
	want := []float32{1, 0, 0, 0.4, 0.2, 0}
	for i := range want {
		if d := got[i] - want[i]; d > 1e-6 || d < -1e-6 {
			t.Fatalf("ToCHW = %v, want %v", got, want)
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
