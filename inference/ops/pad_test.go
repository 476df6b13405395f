package ops

import (
	"testing"

	"camscope/inference/tensor"
)

func TestPadSpecExamples(t *testing.T) {
	x := f32(dims(3, 2), 1.0, 1.2, 2.3, 3.4, 4.5, 5.7)
	pads := i64(dims(4), 0, 2, 0, 0)
	cases := map[string][]float32{
		"constant": {0, 0, 1.0, 1.2, 0, 0, 2.3, 3.4, 0, 0, 4.5, 5.7},
		"reflect":  {1.0, 1.2, 1.0, 1.2, 2.3, 3.4, 2.3, 3.4, 4.5, 5.7, 4.5, 5.7},
		"edge":     {1.0, 1.0, 1.0, 1.2, 2.3, 2.3, 2.3, 3.4, 4.5, 4.5, 4.5, 5.7},
		"wrap":     {1.0, 1.2, 1.0, 1.2, 2.3, 3.4, 2.3, 3.4, 4.5, 5.7, 4.5, 5.7},
	}
	for mode, want := range cases {
		got := call{op: "Pad", attrs: Attrs{"mode": mode}}.run(t, x, pads)[0]
		expect(t, got, f32(dims(3, 4), want...), 0)
	}
}

func TestPad(t *testing.T) {
	v := f32(dims(4), 1, 2, 3, 4)
	got := call{op: "Pad", attrs: Attrs{"mode": "reflect"}}.run(t, v, i64(dims(2), 3, 2))[0]
	expect(t, got, f32(dims(9), 4, 3, 2, 1, 2, 3, 4, 3, 2), 0)
	got = call{op: "Pad", attrs: Attrs{"mode": "edge"}}.run(t, v, i64(dims(2), 2, 1))[0]
	expect(t, got, f32(dims(7), 1, 1, 1, 2, 3, 4, 4), 0)
	// Negative pads crop.
	got = call{op: "Pad"}.run(t, v, i64(dims(2), -1, 1), f32(nil, 9))[0]
	expect(t, got, f32(dims(4), 2, 3, 4, 9), 0)
	// Opset 2: attributes.
	got = call{op: "Pad", opset: 2, attrs: Attrs{"pads": []int64{1, 0}, "value": float32(7)}}.run(t, v)[0]
	expect(t, got, f32(dims(5), 7, 1, 2, 3, 4), 0)
	// Opset 18: axes select which dimensions the pads cover.
	m := iota32(2, 2)
	got = call{op: "Pad", opset: 18}.run(t, m, i64(dims(2), 1, 0), f32(nil, -1), i64(dims(1), -1))[0]
	expect(t, got, f32(dims(2, 3), -1, 0, 1, -1, 2, 3), 0)
	// Constant padding on every side of a 2-D int tensor, outer rows too.
	got = call{op: "Pad"}.run(t, i64(dims(1, 1), 5), i64(dims(4), 1, 1, 0, 1), i64(nil, 2))[0]
	expect(t, got, i64(dims(2, 3), 2, 2, 2, 2, 5, 2), 0)
	// 4-D spatial padding as CNNs use it.
	img := iota32(1, 1, 2, 2)
	got = call{op: "Pad"}.run(t, img, i64(dims(8), 0, 0, 1, 1, 0, 0, 0, 0))[0]
	expect(t, got, f32(dims(1, 1, 3, 3), 0, 0, 0, 0, 0, 1, 0, 2, 3), 0)
	got = call{op: "Pad", attrs: Attrs{"mode": "reflect"}}.run(t, iota32(1, 1, 3, 3), i64(dims(8), 0, 0, 1, 1, 0, 0, 0, 0))[0]
	expect(t, got, f32(dims(1, 1, 4, 4), 4, 3, 4, 5, 1, 0, 1, 2, 4, 3, 4, 5, 7, 6, 7, 8), 0)
	// Zero pads (DenseNet's exports): the input itself, not a copy.
	got = call{op: "Pad"}.run(t, img, i64(dims(8), 0, 0, 0, 0, 0, 0, 0, 0), f32(nil, 5))[0]
	expect(t, got, iota32(1, 1, 2, 2), 0)
	if tensor.ArrayID(got) != tensor.ArrayID(img) {
		t.Error("a Pad of zeros copied its input")
	}
	call{op: "Pad"}.errorContains(t, "pads", v, i64(dims(4), 1, 1, 1, 1))
	call{op: "Pad"}.errorContains(t, "crop more", v, i64(dims(2), -3, -3))
	call{op: "Pad", attrs: Attrs{"mode": "mirror"}}.errorContains(t, "mode", v, i64(dims(2), 1, 1))
	call{op: "Pad", attrs: Attrs{"mode": "edge"}}.errorContains(t, "empty", tensor.New(0), i64(dims(2), 1, 1))
}
