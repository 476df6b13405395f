package ops

import "testing"

func TestGather(t *testing.T) {
	data := iota32(3, 2)
	expect(t, call{op: "Gather"}.run(t, data, i64(dims(2, 2), 0, 1, 1, 2))[0], f32(dims(2, 2, 2), 0, 1, 2, 3, 2, 3, 4, 5), 0)
	expect(t, call{op: "Gather", attrs: Attrs{"axis": int64(1)}}.run(t, data, i64(dims(1), -1))[0], f32(dims(3, 1), 1, 3, 5), 0)
	expect(t, call{op: "Gather"}.run(t, i64(dims(3), 7, 8, 9), i64(nil, 2))[0], i64(nil, 9), 0)
	call{op: "Gather"}.errorContains(t, "out of range", data, i64(dims(1), 3))
	call{op: "Gather"}.errorContains(t, "integers", data, f32(dims(1), 0))
}

func TestOneHot(t *testing.T) {
	got := call{op: "OneHot"}.run(t, i64(dims(3), 0, 2, -1), i64(nil, 3), f32(dims(2), 0, 1))[0]
	expect(t, got, f32(dims(3, 3), 1, 0, 0, 0, 0, 1, 0, 0, 1), 0)
	got = call{op: "OneHot", attrs: Attrs{"axis": int64(0)}}.run(t, i64(dims(2), 1, 0), f32(nil, 2), i64(dims(2), 5, 9))[0]
	expect(t, got, i64(dims(2, 2), 5, 9, 9, 5), 0)
}
