package shapes

import "testing"

// TestEvaluateScoring feeds Evaluate classifiers whose answers are known:
// an oracle (right class, CAM exactly on the true box), one with the right
// class but the map in a corner away from the object, and one always wrong.
func TestEvaluateScoring(t *testing.T) {
	opt := Options{Size: 64, MaxShapes: 1}
	oracle := func() Classifier {
		return func(sc Scene) (int, []float32, int, int, error) {
			b := sc.Image.Bounds()
			cam := make([]float32, b.Dx()*b.Dy())
			box := sc.Box()
			for y := box.Min.Y; y < box.Max.Y; y++ {
				for x := box.Min.X; x < box.Max.X; x++ {
					cam[y*b.Dx()+x] = 1
				}
			}
			return int(sc.Label), cam, b.Dx(), b.Dy(), nil
		}
	}
	r, err := Evaluate(3, 40, opt, oracle)
	if err != nil || r.N != 40 || r.Correct != 40 || r.Localised != 40 {
		t.Errorf("oracle: %+v, %v; want all 40 right and localised", r, err)
	}
	elsewhere := func() Classifier {
		return func(sc Scene) (int, []float32, int, int, error) {
			cam := make([]float32, 4)
			box := sc.Box()
			// Light the 2x2 grid cell farthest from the object's centre.
			c := box.Min.Add(box.Max).Div(2)
			i := 0
			if c.X < 32 {
				i++
			}
			if c.Y < 32 {
				i += 2
			}
			cam[i] = 1
			return int(sc.Label), cam, 2, 2, nil
		}
	}
	r, _ = Evaluate(3, 40, opt, elsewhere)
	if r.Correct != 40 || r.Localised > 4 {
		t.Errorf("map away from the object: %+v; want 40 correct, almost none localised", r)
	}
	wrong := func() Classifier {
		return func(sc Scene) (int, []float32, int, int, error) {
			return (int(sc.Label) + 1) % NumClasses, make([]float32, 4), 2, 2, nil
		}
	}
	if r, _ = Evaluate(3, 40, opt, wrong); r.N != 40 || r.Correct != 0 || r.Localised != 0 {
		t.Errorf("always wrong: %+v", r)
	}
}
