package ops

import (
	"math"
	"math/rand/v2"
	"testing"

	"camscope/inference/tensor"
)

// refBroadcast applies f elementwise with numpy broadcasting, computing the
// source indices of every output element from scratch.
func refBroadcast(a, b *tensor.Tensor, f func(x, y float64) float64) *tensor.Tensor {
	shape, err := tensor.BroadcastShape(a.Shape, b.Shape)
	if err != nil {
		panic(err)
	}
	out := tensor.New(shape...)
	av, bv := a.Float64s(), b.Float64s()
	idx := func(src []int, o int) int {
		// unravel o in shape, then ravel in src with broadcast dims at 0.
		coord := make([]int, len(shape))
		for d := len(shape) - 1; d >= 0; d-- {
			coord[d] = o % shape[d]
			o /= shape[d]
		}
		off := 0
		for d, n := range src {
			c := coord[len(shape)-len(src)+d]
			if n == 1 {
				c = 0
			}
			off = off*n + c
		}
		return off
	}
	for o := range out.F {
		out.F[o] = float32(f(av[idx(a.Shape, o)], bv[idx(b.Shape, o)]))
	}
	return out
}

func TestBinaryBroadcast(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	shapes := [][2][]int{
		{{2, 3, 4, 5}, {2, 3, 4, 5}},
		{{2, 3, 4, 5}, {}},
		{{}, {2, 3, 4, 5}},
		{{1}, {3, 2}},
		{{1, 3, 4, 5}, {3, 1, 1}},
		{{2, 3, 4, 5}, {1, 3, 1, 1}},
		{{3, 1, 1}, {2, 3, 4, 5}},
		{{2, 1, 4}, {3, 1}},
		{{4, 1}, {1, 5}},
		{{2, 3, 4, 5}, {5}},
		{{2, 3, 4, 5}, {4, 1}},
		{{1, 1, 1}, {1, 1}},
		{{2, 0, 3}, {1, 3}},
		{{3, 4, 5}, {3, 1, 5}},
		// A value a plane, 400 planes of 7x7 (a squeeze-excitation's
		// scale): split over the cores from 16K values (parallelPlanes).
		{{1, 400, 7, 7}, {1, 400, 1, 1}},
		{{1, 400, 1, 1}, {1, 400, 7, 7}},
	}
	ops := map[string]func(x, y float64) float64{
		"Add": func(x, y float64) float64 { return x + y },
		"Sub": func(x, y float64) float64 { return x - y },
		"Mul": func(x, y float64) float64 { return x * y },
		"Div": func(x, y float64) float64 { return x / y },
		"Pow": func(x, y float64) float64 { return math.Pow(math.Abs(x), y) },
	}
	for name, f := range ops {
		for _, s := range shapes {
			a, b := randT(r, s[0]...), randT(r, s[1]...)
			if name == "Pow" {
				for i := range a.F {
					a.F[i] = float32(math.Abs(float64(a.F[i])))
				}
			}
			got := call{op: name}.run(t, a, b)[0]
			expect(t, got, refBroadcast(a, b, f), 1e-6)
		}
	}
}

func TestBinaryInt64(t *testing.T) {
	a := i64(dims(2, 2), 7, -7, 9, 4)
	b := i64(dims(2), 2, 3)
	for name, want := range map[string][]int64{
		"Add": {9, -4, 11, 7},
		"Sub": {5, -10, 7, 1},
		"Mul": {14, -21, 18, 12},
		"Div": {3, -2, 4, 1},
	} {
		expect(t, call{op: name}.run(t, a, b)[0], i64(dims(2, 2), want...), 0)
	}
	call{op: "Div"}.errorContains(t, "division by zero", a, i64(dims(1), 0))
	call{op: "Add"}.errorContains(t, "types differ", a, tensor.New(2))
}

func TestBinaryErrors(t *testing.T) {
	call{op: "Add"}.errorContains(t, "Add: shapes [1x3] and [1x4] do not broadcast", tensor.New(1, 3), tensor.New(1, 4))
	call{op: "Mul"}.errorContains(t, "input 1 is missing", tensor.New(1, 3), nil)
}

func TestPow(t *testing.T) {
	expect(t, call{op: "Pow"}.run(t, f32(dims(3), 1, 2, 3), f32(dims(3), 4, 5, 6))[0], f32(dims(3), 1, 32, 729), 0)
	expect(t, call{op: "Pow"}.run(t, f32(dims(3), 1, 2, 3), f32(dims(), 2))[0], f32(dims(3), 1, 4, 9), 0)
	expect(t, call{op: "Pow"}.run(t, f32(dims(2), 4, 9), i64(dims(), 2))[0], f32(dims(2), 16, 81), 0)
	expect(t, call{op: "Pow"}.run(t, i64(dims(2), 2, 3), f32(dims(2), 3, 2))[0], i64(dims(2), 8, 9), 0)
}

func TestUnary(t *testing.T) {
	expect(t, call{op: "Sqrt"}.run(t, f32(dims(3), 1, 4, 9))[0], f32(dims(3), 1, 2, 3), 0)
	got := call{op: "Erf"}.run(t, f32(dims(3), 0, 1, -2))[0]
	expect(t, got, f32(dims(3), 0, 0.8427007929, -0.995322265), 1e-6)
}

func BenchmarkAddPerChannel(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	x, c := randT(r, 1, 64, 56, 56), randT(r, 64, 1, 1)
	op, _ := Build(&Node{OpType: "Add", Opset: 13, NumOutputs: 1, Consts: make([]*tensor.Tensor, 2)})
	b.ReportAllocs()
	for b.Loop() {
		op.Run(NoBudget, []*tensor.Tensor{x, c})
	}
}

func BenchmarkAddSameShape(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	x, y := randT(r, 1, 64, 56, 56), randT(r, 1, 64, 56, 56)
	op, _ := Build(&Node{OpType: "Add", Opset: 13, NumOutputs: 1, Consts: make([]*tensor.Tensor, 2)})
	b.ReportAllocs()
	for b.Loop() {
		op.Run(NoBudget, []*tensor.Tensor{x, y})
	}
}

func TestBinaryLargeSplitsAcrossCores(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	add := func(x, y float64) float64 { return x + y }
	for _, s := range [][2][]int{
		{{1, 64, 40, 40}, {64, 1, 1}},
		{{1, 64, 40, 40}, {1, 64, 40, 40}},
		{{1, 64, 40, 40}, {}},
		{{3, 50000}, {3, 1}},
		{{70000, 2}, {2}},
	} {
		a, b := randT(r, s[0]...), randT(r, s[1]...)
		expect(t, call{op: "Add"}.run(t, a, b)[0], refBroadcast(a, b, add), 1e-6)
	}
	x := randT(r, 1, 32, 60, 60)
	got := call{op: "Relu"}.run(t, x)[0]
	for i, v := range x.F {
		if want := float32(math.Max(float64(v), 0)); got.F[i] != want {
			t.Fatalf("Relu at %d: got %v, want %v", i, got.F[i], want)
		}
	}
}

func TestAddFusedActivation(t *testing.T) {
	a, b := f32(dims(2, 3), -3, -1, 0, 1, 2, 3), f32(dims(3), 1, 1, 1)
	got := call{op: "Add", attrs: Attrs{FusedActivation: "Relu"}}.run(t, a, b)[0]
	expect(t, got, f32(dims(2, 3), 0, 0, 1, 2, 3, 4), 0)
	got = call{op: "Add", attrs: Attrs{FusedActivation: "Clip", FusedMin: float32(-1), FusedMax: float32(2.5)}}.run(t, a, b)[0]
	expect(t, got, f32(dims(2, 3), -1, 0, 1, 2, 2.5, 2.5), 0)
	got = call{op: "Add", attrs: Attrs{FusedActivation: "Relu"}}.run(t, f32(nil, -5), b)[0]
	expect(t, got, f32(dims(3), 0, 0, 0), 0)
	call{op: "Add", attrs: Attrs{FusedActivation: "Relu"}}.errorContains(t, "float32", i64(nil, -5), i64(nil, 1))
}

// TestVectorRowLengths covers the vector loops' 8-, 4- and 1-lane parts.
func TestVectorRowLengths(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for n := 1; n <= 21; n++ {
		a, b, s := randT(r, n), randT(r, n), randT(r)
		for op, f := range map[string]func(x, y float64) float64{
			"Add": func(x, y float64) float64 { return x + y },
			"Mul": func(x, y float64) float64 { return x * y },
		} {
			expect(t, call{op: op}.run(t, a, b)[0], refBroadcast(a, b, f), 1e-6)
			expect(t, call{op: op}.run(t, a, s)[0], refBroadcast(a, s, f), 1e-6)
			expect(t, call{op: op}.run(t, s, b)[0], refBroadcast(s, b, f), 1e-6)
		}
	}
}

func TestMod(t *testing.T) {
	a, b := i64(dims(4), 7, -7, 7, -7), i64(dims(4), 3, 3, -3, -3)
	expect(t, call{op: "Mod"}.run(t, a, b)[0], i64(dims(4), 1, 2, -2, -1), 0)
	expect(t, call{op: "Mod", attrs: Attrs{"fmod": int64(1)}}.run(t, a, b)[0], i64(dims(4), 1, -1, 1, -1), 0)
	expect(t, call{op: "Mod", attrs: Attrs{"fmod": int64(1)}}.run(t, f32(dims(2), 5.5, -5.5), f32(nil, 2))[0], f32(dims(2), 1.5, -1.5), 0)
	call{op: "Mod"}.errorContains(t, "by zero", a, i64(nil, 0))
}
