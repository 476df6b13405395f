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

func TestCastHalf(t *testing.T) {
	inf := float32(math.Inf(1))
	// 1+2^-11 is halfway between halves 1 and 1+2^-10: ties to even (1).
	// 1+3*2^-11 rounds up to 1+2^-9. 2^-25 is half the smallest subnormal.
	x := f32(dims(7), 1+1.0/2048, 1+3.0/2048, 65504, 65520, 3.0/(1<<25), 1.0/(1<<25), -0.1)
	got := call{op: "Cast", attrs: Attrs{"to": int64(onnxFloat16)}}.run(t, x)[0]
	expect(t, got, f32(dims(7), 1, 1+1.0/512, 65504, inf, 2.0/(1<<24), 0, -0.0999755859375), 0)
	y := f32(dims(3), 1+1.0/256, 1+3.0/256, -inf)
	got = call{op: "Cast", attrs: Attrs{"to": int64(onnxBfloat16)}}.run(t, y)[0]
	expect(t, got, f32(dims(3), 1, 1+1.0/64, -inf), 0)
}
