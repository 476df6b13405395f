package ops

import "testing"

func TestExpandTile(t *testing.T) {
	x := f32(dims(3, 1), 1, 2, 3)
	expect(t, call{op: "Expand"}.run(t, x, i64(dims(3), 2, 1, 2))[0], f32(dims(2, 3, 2), 1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3), 0)
	expect(t, call{op: "Expand"}.run(t, x, i64(dims(1), 1))[0], x, 0)
	call{op: "Expand"}.errorContains(t, "does not broadcast", x, i64(dims(2), 2, 2))
	got := call{op: "Tile"}.run(t, f32(dims(2, 2), 1, 2, 3, 4), i64(dims(2), 2, 3))[0]
	expect(t, got, f32(dims(4, 6), 1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4, 1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4), 0)
}
