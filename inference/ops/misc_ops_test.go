package ops

import "testing"

func TestDepthSpace(t *testing.T) {
	// Four channels of one pixel become a 2x2 block; DCR reads the block
	// position from the outer channel index, CRD from the inner one.
	x := iota32(1, 8, 1, 1)
	got := call{op: "DepthToSpace", attrs: Attrs{"blocksize": int64(2)}}.run(t, x)[0]
	expect(t, got, f32(dims(1, 2, 2, 2), 0, 2, 4, 6, 1, 3, 5, 7), 0)
	got = call{op: "DepthToSpace", attrs: Attrs{"blocksize": int64(2), "mode": "CRD"}}.run(t, x)[0]
	expect(t, got, f32(dims(1, 2, 2, 2), 0, 1, 2, 3, 4, 5, 6, 7), 0)
	// SpaceToDepth undoes DCR.
	back := call{op: "SpaceToDepth", attrs: Attrs{"blocksize": int64(2)}}.run(t, call{op: "DepthToSpace", attrs: Attrs{"blocksize": int64(2)}}.run(t, iota32(1, 8, 2, 3))[0])[0]
	expect(t, back, iota32(1, 8, 2, 3), 0)
	call{op: "DepthToSpace", attrs: Attrs{"blocksize": int64(2)}}.errorContains(t, "multiple of 4", iota32(1, 6, 1, 1))
}

func TestMod(t *testing.T) {
	a, b := i64(dims(4), 7, -7, 7, -7), i64(dims(4), 3, 3, -3, -3)
	expect(t, call{op: "Mod"}.run(t, a, b)[0], i64(dims(4), 1, 2, -2, -1), 0)
	expect(t, call{op: "Mod", attrs: Attrs{"fmod": int64(1)}}.run(t, a, b)[0], i64(dims(4), 1, -1, 1, -1), 0)
	expect(t, call{op: "Mod", attrs: Attrs{"fmod": int64(1)}}.run(t, f32(dims(2), 5.5, -5.5), f32(nil, 2))[0], f32(dims(2), 1.5, -1.5), 0)
	call{op: "Mod"}.errorContains(t, "by zero", a, i64(nil, 0))
}

func TestCumSum(t *testing.T) {
	x := f32(dims(2, 3), 1, 2, 3, 4, 5, 6)
	expect(t, call{op: "CumSum"}.run(t, x, i64(nil, 1))[0], f32(dims(2, 3), 1, 3, 6, 4, 9, 15), 0)
	expect(t, call{op: "CumSum", attrs: Attrs{"exclusive": int64(1), "reverse": int64(1)}}.run(t, x, i64(nil, -1))[0], f32(dims(2, 3), 5, 3, 0, 11, 6, 0), 0)
	expect(t, call{op: "CumSum"}.run(t, i64(dims(2, 1), 2, 5), i64(nil, 0))[0], i64(dims(2, 1), 2, 7), 0)
}

func TestShrinkLpOneHot(t *testing.T) {
	got := call{op: "Shrink", attrs: Attrs{"lambd": float32(1), "bias": float32(0.5)}}.run(t, f32(dims(3), -2, 0.5, 3))[0]
	expect(t, got, f32(dims(3), -1.5, 0, 2.5), 0)
	got = call{op: "LpNormalization"}.run(t, f32(dims(2, 2), 3, 4, 0, 0))[0]
	expect(t, got, f32(dims(2, 2), 0.6, 0.8, 0, 0), 1e-7)
	got = call{op: "LpNormalization", attrs: Attrs{"p": int64(1), "axis": int64(0)}}.run(t, f32(dims(2, 2), 1, 2, 3, 2))[0]
	expect(t, got, f32(dims(2, 2), 0.25, 0.5, 0.75, 0.5), 1e-7)
	got = call{op: "GlobalLpPool"}.run(t, f32(dims(1, 1, 2), 3, 4))[0]
	expect(t, got, f32(dims(1, 1, 1), 5), 0)
	got = call{op: "OneHot"}.run(t, i64(dims(3), 0, 2, -1), i64(nil, 3), f32(dims(2), 0, 1))[0]
	expect(t, got, f32(dims(3, 3), 1, 0, 0, 0, 0, 1, 0, 0, 1), 0)
	got = call{op: "OneHot", attrs: Attrs{"axis": int64(0)}}.run(t, i64(dims(2), 1, 0), f32(nil, 2), i64(dims(2), 5, 9))[0]
	expect(t, got, i64(dims(2, 2), 5, 9, 9, 5), 0)
}
