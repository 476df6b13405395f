package ops

import (
	"math"
	"testing"
)

func TestMathUnary(t *testing.T) {
	x := f32(dims(4), -1.5, -0.5, 0.5, 2.5)
	cases := map[string][]float32{
		"Floor":      {-2, -1, 0, 2},
		"Ceil":       {-1, -0, 1, 3},
		"Round":      {-2, -0, 0, 2},
		"Neg":        {1.5, 0.5, -0.5, -2.5},
		"Abs":        {1.5, 0.5, 0.5, 2.5},
		"Sign":       {-1, -1, 1, 1},
		"Reciprocal": {-1 / 1.5, -2, 2, 0.4},
		"Exp":        {float32(math.Exp(-1.5)), float32(math.Exp(-0.5)), float32(math.Exp(0.5)), float32(math.Exp(2.5))},
	}
	for op, want := range cases {
		expect(t, call{op: op}.run(t, x)[0], f32(dims(4), want...), 1e-7)
	}
	expect(t, call{op: "Log"}.run(t, f32(dims(2), 1, float32(math.E)))[0], f32(dims(2), 0, 1), 1e-7)
	expect(t, call{op: "Abs"}.run(t, i64(dims(2), -3, 4))[0], i64(dims(2), 3, 4), 0)
	expect(t, call{op: "Neg"}.run(t, i64(dims(2), -3, 4))[0], i64(dims(2), 3, -4), 0)
	expect(t, call{op: "Sign"}.run(t, i64(dims(3), -3, 0, 4))[0], i64(dims(3), -1, 0, 1), 0)
}

func TestVariadic(t *testing.T) {
	a, b, c := f32(dims(3), 3, 2, 1), f32(dims(3), 1, 4, 3), f32(dims(1), 2)
	expect(t, call{op: "Max"}.run(t, a, b, c)[0], f32(dims(3), 3, 4, 3), 0)
	expect(t, call{op: "Min"}.run(t, a, b, c)[0], f32(dims(3), 1, 2, 1), 0)
	expect(t, call{op: "Sum"}.run(t, a, b, c)[0], f32(dims(3), 6, 8, 6), 0)
	expect(t, call{op: "Mean"}.run(t, a, b, c)[0], f32(dims(3), 2, 8.0/3, 2), 1e-7)
	expect(t, call{op: "Sum"}.run(t, a)[0], a, 0)
	expect(t, call{op: "Max"}.run(t, i64(dims(2), 1, 5), i64(dims(2), 3, 2))[0], i64(dims(2), 3, 5), 0)
	nan := float32(math.NaN())
	expect(t, call{op: "Max"}.run(t, f32(dims(2), nan, 1), f32(dims(2), 1, nan))[0], f32(dims(2), nan, nan), 0)
	call{op: "Mean"}.errorContains(t, "float32", i64(dims(1), 1), i64(dims(1), 1))
}

func TestCompareWhere(t *testing.T) {
	a, b := f32(dims(3), 1, 2, 3), f32(dims(1), 2)
	expect(t, call{op: "Equal"}.run(t, a, b)[0], i64(dims(3), 0, 1, 0), 0)
	expect(t, call{op: "Greater"}.run(t, a, b)[0], i64(dims(3), 0, 0, 1), 0)
	expect(t, call{op: "LessOrEqual"}.run(t, a, b)[0], i64(dims(3), 1, 1, 0), 0)
	expect(t, call{op: "Less"}.run(t, i64(dims(2), 1<<62+1, 5), i64(dims(2), 1<<62+2, 5))[0], i64(dims(2), 1, 0), 0)
	p, q := i64(dims(4), 0, 0, 1, 1), i64(dims(4), 0, 1, 0, 1)
	expect(t, call{op: "And"}.run(t, p, q)[0], i64(dims(4), 0, 0, 0, 1), 0)
	expect(t, call{op: "Or"}.run(t, p, q)[0], i64(dims(4), 0, 1, 1, 1), 0)
	expect(t, call{op: "Xor"}.run(t, p, q)[0], i64(dims(4), 0, 1, 1, 0), 0)
	expect(t, call{op: "Not"}.run(t, p)[0], i64(dims(4), 1, 1, 0, 0), 0)
	got := call{op: "Where"}.run(t, i64(dims(2, 1), 1, 0), f32(dims(2), 1, 2), f32(nil, 9))[0]
	expect(t, got, f32(dims(2, 2), 1, 2, 9, 9), 0)
	call{op: "Where"}.errorContains(t, "do not broadcast", i64(dims(3), 1, 0, 1), a, f32(dims(2), 1, 2))
}

func TestMoreActivations(t *testing.T) {
	x := f32(dims(3), -1, 0, 2)
	expect(t, call{op: "Elu"}.run(t, x)[0], f32(dims(3), float32(math.Exp(-1)-1), 0, 2), 1e-7)
	expect(t, call{op: "Celu", attrs: Attrs{"alpha": float32(2)}}.run(t, x)[0], f32(dims(3), float32(2*(math.Exp(-0.5)-1)), 0, 2), 1e-7)
	expect(t, call{op: "ThresholdedRelu"}.run(t, x)[0], f32(dims(3), 0, 0, 2), 0)
	expect(t, call{op: "Selu", attrs: Attrs{"alpha": float32(2), "gamma": float32(3)}}.run(t, x)[0],
		f32(dims(3), float32(6*(math.Exp(-1)-1)), 0, 6), 1e-7)
	expect(t, call{op: "Softplus"}.run(t, f32(dims(3), 0, 100, -100))[0], f32(dims(3), float32(math.Ln2), 100, 0), 1e-7)
	expect(t, call{op: "Softsign"}.run(t, x)[0], f32(dims(3), -0.5, 0, 2.0/3), 1e-7)
	sp := math.Log1p(math.E)
	expect(t, call{op: "Mish"}.run(t, f32(dims(1), 1))[0], f32(dims(1), float32(math.Tanh(sp))), 1e-7)
	got := call{op: "PRelu"}.run(t, f32(dims(1, 2, 2), -1, 1, -2, 2), f32(dims(2, 1), 0.5, 0.25))[0]
	expect(t, got, f32(dims(1, 2, 2), -0.5, 1, -0.5, 2), 0)
	call{op: "PRelu"}.errorContains(t, "does not broadcast", f32(dims(2), 1, 2), f32(dims(2, 2), 1, 2, 3, 4))
}
