package ops

import (
	"math/rand/v2"
	"testing"

	"camscope/inference/tensor"
)

func TestResizeHand(t *testing.T) {
	v := f32(dims(1, 2), 1, 3)
	scales := f32(dims(2), 1, 2)
	// half_pixel: output x maps to (x+0.5)/2-0.5 = -0.25, 0.25, 0.75, 1.25,
	// and positions past the edges take the edge value.
	got := call{op: "Resize", attrs: Attrs{"mode": "linear"}}.run(t, v, nil, scales)[0]
	expect(t, got, f32(dims(1, 4), 1, 1.5, 2.5, 3), 1e-7)
	// align_corners to three: positions 0, 0.5, 1.
	got = call{op: "Resize", attrs: Attrs{"mode": "linear", "coordinate_transformation_mode": "align_corners"}}.run(t, v, nil, nil, i64(dims(2), 1, 3))[0]
	expect(t, got, f32(dims(1, 3), 1, 2, 3), 1e-7)
	// Nearest, asymmetric, floor: plain repetition.
	got = call{op: "Resize", attrs: Attrs{"coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"}}.run(t, v, nil, f32(dims(2), 1, 3))[0]
	expect(t, got, f32(dims(1, 6), 1, 1, 1, 3, 3, 3), 0)
	got = call{op: "Upsample", opset: 7, attrs: Attrs{"scales": []float32{2, 2}}}.run(t, v)[0]
	expect(t, got, f32(dims(2, 4), 1, 1, 3, 3, 1, 1, 3, 3), 0)
	got = call{op: "Upsample", opset: 9}.run(t, v, f32(dims(2), 1, 2))[0]
	expect(t, got, f32(dims(1, 4), 1, 1, 3, 3), 0)
	// tf_crop_and_resize: roi [0.5, 1.5] of [1 2 3] to three outputs at
	// positions 1, 2, 3; 3 lies outside and takes extrapolation_value.
	got = call{op: "Resize", attrs: Attrs{"mode": "linear", "coordinate_transformation_mode": "tf_crop_and_resize", "extrapolation_value": float32(10)}}.run(t,
		f32(dims(3), 1, 2, 3), f32(dims(2), 0.5, 1.5), nil, i64(dims(1), 3))[0]
	expect(t, got, f32(dims(3), 2, 3, 10), 1e-7)
	// not_larger keeps the aspect ratio with the smaller scale.
	got = call{op: "Resize", attrs: Attrs{"keep_aspect_ratio_policy": "not_larger", "axes": []int64{0, 1}}}.run(t, iota32(2, 4), nil, nil, i64(dims(2), 4, 4))[0]
	expect(t, got, iota32(2, 4), 0)
}

func TestResizeCubicKeepsConstants(t *testing.T) {
	x := tensor.New(1, 1, 5, 5)
	for i := range x.F {
		x.F[i] = 7
	}
	for _, attrs := range []Attrs{
		{"mode": "cubic"},
		{"mode": "cubic", "exclude_outside": int64(1), "cubic_coeff_a": float32(-0.5)},
		{"mode": "cubic", "antialias": int64(1)},
		{"mode": "linear", "antialias": int64(1)},
	} {
		for _, s := range [][]float32{{1, 1, 2, 3}, {1, 1, 0.6, 0.5}} {
			got := call{op: "Resize", attrs: attrs}.run(t, x, nil, f32(dims(4), s...))[0]
			for _, v := range got.F {
				if v < 7-1e-5 || v > 7+1e-5 {
					t.Fatalf("%v scales %v: got %v", attrs, s, got.F)
				}
			}
		}
	}
}

// TestResizeLinearSeparable checks 2-D linear resizing against bilinear
// interpolation computed directly from the four neighbours.
func TestResizeLinearSeparable(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	x := randT(r, 1, 1, 4, 5)
	got := call{op: "Resize", attrs: Attrs{"mode": "linear", "coordinate_transformation_mode": "asymmetric"}}.run(t, x, nil, f32(dims(4), 1, 1, 2, 1.5))[0]
	want := tensor.New(1, 1, 8, 7)
	at := func(y, xx int) float64 { return float64(x.F[min(y, 3)*5+min(xx, 4)]) }
	for oy := 0; oy < 8; oy++ {
		for ox := 0; ox < 7; ox++ {
			fy, fx := float64(oy)/2, float64(ox)/1.5
			y0, x0 := int(fy), int(fx)
			ry, rx := fy-float64(y0), fx-float64(x0)
			v := (1-ry)*((1-rx)*at(y0, x0)+rx*at(y0, x0+1)) + ry*((1-rx)*at(y0+1, x0)+rx*at(y0+1, x0+1))
			want.F[oy*7+ox] = float32(v)
		}
	}
	expect(t, got, want, 1e-6)
}

func TestResizeErrors(t *testing.T) {
	x := tensor.New(1, 2)
	call{op: "Resize"}.errorContains(t, "neither scales nor sizes", x)
	call{op: "Resize"}.errorContains(t, "scales has", x, nil, f32(dims(1), 2))
	call{op: "Resize", attrs: Attrs{"mode": "area"}}.errorContains(t, "unknown mode", x)
	call{op: "Resize", attrs: Attrs{"antialias": int64(1)}}.errorContains(t, "antialias", x)
}
