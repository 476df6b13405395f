package ops

import (
	"math"
	"testing"
)

func TestCast(t *testing.T) {
	x := f32(dims(5), -1.7, 0, 0.5, 2.9, 300)
	expect(t, call{op: "Cast", attrs: Attrs{"to": int64(onnxInt64)}}.run(t, x)[0], i64(dims(5), -1, 0, 0, 2, 300), 0)
	expect(t, call{op: "Cast", attrs: Attrs{"to": int64(onnxBool)}}.run(t, x)[0], i64(dims(5), 1, 0, 1, 1, 1), 0)
	expect(t, call{op: "Cast", attrs: Attrs{"to": int64(onnxUint8)}}.run(t, x)[0], i64(dims(5), 255, 0, 0, 2, 44), 0)
	expect(t, call{op: "Cast", attrs: Attrs{"to": int64(onnxInt8)}}.run(t, i64(dims(2), 200, -3))[0], i64(dims(2), -56, -3), 0)
	expect(t, call{op: "Cast", attrs: Attrs{"to": int64(onnxFloat)}}.run(t, i64(dims(2), 7, -3))[0], f32(dims(2), 7, -3), 0)
	expect(t, call{op: "Cast", attrs: Attrs{"to": int64(onnxDouble)}}.run(t, x)[0], x, 0)
	expect(t, call{op: "Cast", attrs: Attrs{"to": int64(onnxInt64)}}.run(t, i64(dims(1), math.MaxInt64))[0], i64(dims(1), math.MaxInt64), 0)
	call{op: "Cast", attrs: Attrs{"to": int64(8)}}.errorContains(t, "strings", x)
	call{op: "Cast"}.errorContains(t, "missing", x)
}
