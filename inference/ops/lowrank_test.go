package ops

import (
	"math"
	"math/rand/v2"
	"testing"

	"camscope/inference/tensor"
)

// naiveDense is l's values by the definition of a term, element by
// element: the slow obvious reading the tests hold the fast paths to.
func naiveDense(l *LowRank) []float32 {
	out := make([]float32, tensor.Size(l.Shape))
	idx := make([]int, len(l.Shape))
	for i := range out {
		for q, d := i, len(l.Shape)-1; d >= 0; d-- {
			idx[d], q = q%l.Shape[d], q/l.Shape[d]
		}
		var sum float64
	terms:
		for _, t := range l.Terms {
			iu, iv := 0, 0
			for a, s := range t.At {
				switch {
				case s >= 0:
					if idx[a] != s {
						continue terms
					}
				case s == inU:
					iu = iu*l.Shape[a] + idx[a]
				default:
					iv = iv*l.Shape[a] + idx[a]
				}
			}
			sum += float64(t.U[iu]) * float64(t.V[iv])
		}
		out[i] = float32(sum)
	}
	return out
}

// randomTerm is a term over shape whose axis a is at where[a] (inU, inV,
// or fixed at that index), with random factors.
func randomTerm(rng *rand.Rand, shape, where []int) Term {
	t := Term{At: append([]int(nil), where...)}
	t.normalize(shape)
	for _, side := range []int{inU, inV} {
		_, dims := t.factorDims(shape, side)
		f := make([]float32, tensor.Size(dims))
		for i := range f {
			f[i] = float32(rng.Float64()*2 - 1)
		}
		t.setFactor(side, f)
	}
	return t
}

// randomLow is a low-rank gradient of n terms, each axis of each term
// fixed at a random index, on U's side or on V's at random.
func randomLow(rng *rand.Rand, shape []int, n int) *LowRank {
	l := &LowRank{Shape: shape}
	for range n {
		where := make([]int, len(shape))
		for a, d := range shape {
			switch rng.IntN(3) {
			case 0:
				where[a] = rng.IntN(d)
			case 1:
				where[a] = inU
			default:
				where[a] = inV
			}
		}
		l.Terms = append(l.Terms, randomTerm(rng, shape, where))
	}
	return l
}

func closeTo(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	scale := 0.0
	for _, v := range want {
		scale = math.Max(scale, math.Abs(float64(v)))
	}
	for i := range got {
		if d := math.Abs(float64(got[i] - want[i])); !(d <= 1e-5*scale+1e-6) {
			t.Fatalf("%s: element %d is %g, want %g (scale %g)", what, i, got[i], want[i], scale)
		}
	}
}

// TestLowRankAddTo checks AddTo, whose terms of one layout go through one
// product when their factors are evenly spaced and otherwise element by
// element, against the definition.
func TestLowRankAddTo(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	shape := []int{4, 3, 5}
	layouts := [][]int{
		{inV, inU, inU}, // U contiguous rows of 5, V every 15: U's side is the GEMM's columns
		{inU, 1, inV},   // V contiguous: V's side is the columns
		{inU, inV, 2},   // neither contiguous: element by element
		{inV, inU, inV}, // V's offsets not evenly spaced
		{2, inU, inV},   // one fixed axis
		{inU, inU, inU}, // V a scalar
		{1, 2, inV},     // U a scalar
		{0, 1, 3},       // both scalars
		{inU, inV, inV}, // V contiguous over two axes
		{inV, inV, inU}, // U every element, V every 5
		{inV, inV, inV}, // U a scalar, V everything
		{inU, inV, inU}, // U's offsets not evenly spaced
		{inV, 2, inU},   // U contiguous, V every 15
		{inU, 0, inV},   // a second term of a layout above
		{inV, inU, inU}, // and a third
		{inV, inU, inU}, // and a fourth
	}
	l := &LowRank{Shape: shape}
	for _, w := range layouts {
		l.Terms = append(l.Terms, randomTerm(rng, shape, w))
	}
	if err := l.Check(shape); err != nil {
		t.Fatal(err)
	}
	for n := 1; n <= len(l.Terms); n++ {
		sub := &LowRank{Shape: shape, Terms: l.Terms[:n]}
		base := random(rng, -1, 1, nil, 0, shape...)
		got := base.Clone()
		sub.AddTo(got.F)
		want := naiveDense(sub)
		for i := range want {
			want[i] += base.F[i]
		}
		closeTo(t, "AddTo", got.F, want)
	}
	for range 20 {
		r := randomLow(rng, []int{3, 1, 4, 2}, 5)
		got := make([]float32, 24)
		r.AddTo(got)
		closeTo(t, "AddTo of random terms", got, naiveDense(r))
	}
}

// TestVJPLowMatchesDense checks each operator's low-rank VJP against its
// VJP of the same gradient's values: for random terms (every axis fixed,
// or on either side, at random; with and without a dense part), the input
// gradients' dense and low-rank parts must add up to the VJP's. low says
// that the operator keeps every such gradient low rank (the test fails if
// it does not, so that the fast path is the one checked); the others keep
// some (a reshape that merges axes: terms with those axes on one side) or
// none, and their sums are checked the same way.
func TestVJPLowMatchesDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	u := func(shape ...int) *tensor.Tensor { return random(rng, -1, 1, nil, 0, shape...) }
	cases := []struct {
		name   string
		op     string
		attrs  Attrs
		inputs []*tensor.Tensor
		fixed  []bool
		low    bool
	}{
		{"Transpose", "Transpose", Attrs{"perm": []int64{1, 2, 0}}, []*tensor.Tensor{u(3, 4, 5)}, nil, true},
		{"Transpose 4-D", "Transpose", Attrs{"perm": []int64{2, 0, 3, 1}}, []*tensor.Tensor{u(2, 3, 4, 5)}, nil, true},
		{"Transpose default", "Transpose", nil, []*tensor.Tensor{u(3, 1, 4)}, nil, true},
		{"Reshape merge", "Reshape", nil, []*tensor.Tensor{u(2, 3, 4), ints(2, 12)}, nil, true},
		{"Reshape split", "Reshape", nil, []*tensor.Tensor{u(6, 4), ints(2, 3, 1, 4)}, nil, false},
		{"Reshape size 1", "Reshape", nil, []*tensor.Tensor{u(5, 1, 6), ints(5, 6)}, nil, true},
		{"Flatten", "Flatten", Attrs{"axis": int64(1)}, []*tensor.Tensor{u(3, 2, 2)}, nil, true},
		{"Squeeze", "Squeeze", nil, []*tensor.Tensor{u(3, 1, 4), ints(1)}, nil, true},
		{"Unsqueeze", "Unsqueeze", nil, []*tensor.Tensor{u(3, 4), ints(0, 2)}, nil, true},
		{"Slice", "Slice", nil, []*tensor.Tensor{u(4, 1, 9), ints(3), ints(6), ints(2)}, nil, true},
		{"Slice two axes", "Slice", nil, []*tensor.Tensor{u(5, 6, 7), ints(1, -5), ints(4, 100), ints(0, 2)}, nil, true},
		{"Slice steps", "Slice", nil, []*tensor.Tensor{u(5, 7), ints(6, 0), ints(-100, 5), ints(1, 0), ints(-2, 1)}, nil, false},
		{"MatMul by weights", "MatMul", nil, []*tensor.Tensor{u(2, 5, 4), u(4, 3)}, []bool{false, true}, true},
		{"MatMul+bias by weights", "MatMul", Attrs{FusedBias: int64(1)}, []*tensor.Tensor{u(5, 1, 4), u(4, 6), u(6)}, []bool{false, true, true}, true},
		{"MatMul, B needs a gradient", "MatMul", nil, []*tensor.Tensor{u(5, 4), u(4, 3)}, nil, false},
		{"MatMul+bias+Gelu", "MatMul", Attrs{FusedBias: int64(1), FusedActivation: "Gelu"}, []*tensor.Tensor{u(5, 4), u(4, 6), u(6)}, []bool{false, true, true}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			consts := make([]*tensor.Tensor, len(c.inputs))
			need := make([]bool, len(c.inputs))
			for i, x := range c.inputs {
				if x.DType != tensor.Float32 || i < len(c.fixed) && c.fixed[i] {
					consts[i] = x
				} else {
					need[i] = true
				}
			}
			op, err := Build(&Node{OpType: c.op, Opset: 13, Attrs: c.attrs, Consts: consts, NumOutputs: 1})
			if err != nil {
				t.Fatal(err)
			}
			y := runOp(t, op, c.inputs)[0]
			p := &Pass{Inputs: c.inputs, Outputs: []*tensor.Tensor{y}, Need: need}
			for trial := range 12 {
				low := randomLow(rng, y.Shape, 1+trial%4)
				var g *tensor.Tensor
				if trial%3 == 0 {
					g = u(y.Shape...)
				}
				sum := tensor.New(y.Shape...)
				copy(sum.F, naiveDense(low))
				if g != nil {
					for i, v := range g.F {
						sum.F[i] += v
					}
				}
				want, err := VJP(c.op, op, p, sum)
				if err != nil {
					t.Fatal(err)
				}
				grads, lows, err := VJPLow(c.op, op, p, []*tensor.Tensor{g}, []*LowRank{low})
				if err != nil {
					t.Fatal(err)
				}
				kept := false
				for i := range c.inputs {
					if !need[i] {
						if grads[i] != nil || lows != nil && lows[i] != nil {
							t.Fatalf("input %d needs no gradient but got one", i)
						}
						continue
					}
					got := make([]float32, c.inputs[i].Len())
					if grads[i] != nil {
						copy(got, grads[i].F)
					}
					if lows != nil && lows[i] != nil {
						kept = true
						d := naiveDense(lows[i])
						for j := range got {
							got[j] += d[j]
						}
					}
					closeTo(t, "input gradient", got, want[i].F)
				}
				if c.low && !kept {
					t.Fatalf("trial %d: the gradient was made dense", trial)
				}
			}
		})
	}
}

// TestMatMulLowRankB checks the low-rank gradient of MatMul's B, made
// when each product's output gradient has one nonzero row (or none),
// against the VJP's dense one.
func TestMatMulLowRankB(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	op, err := Build(&Node{OpType: "MatMul", Opset: 13, NumOutputs: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		a, b []int
		rows []int // the nonzero row of each product's gradient, -1 for none
	}{
		{[]int{3, 5, 4}, []int{3, 4, 6}, []int{0, 2, -1}},
		{[]int{2, 3, 5, 4}, []int{2, 3, 4, 1}, []int{4, -1, 0, 1, 1, 3}},
		{[]int{1, 7, 4}, []int{4, 6}, []int{3}},
	} {
		a, b := random(rng, -1, 1, nil, 0, c.a...), random(rng, -1, 1, nil, 0, c.b...)
		y := runOp(t, op, []*tensor.Tensor{a, b})[0]
		g := tensor.New(y.Shape...)
		m, nn := y.Shape[y.Rank()-2], y.Shape[y.Rank()-1]
		for i, r := range c.rows {
			if r >= 0 {
				for j := range nn {
					g.F[(i*m+r)*nn+j] = float32(rng.Float64()*2 - 1)
				}
			}
		}
		p := &Pass{Inputs: []*tensor.Tensor{a, b}, Outputs: []*tensor.Tensor{y}}
		want, err := VJP("MatMul", op, p, g)
		if err != nil {
			t.Fatal(err)
		}
		grads, lows, err := VJPLow("MatMul", op, p, []*tensor.Tensor{g}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if lows == nil || lows[1] == nil || grads[1] != nil {
			t.Fatalf("%v x %v: B's gradient is not low rank", c.a, c.b)
		}
		closeTo(t, "A's gradient", grads[0].F, want[0].F)
		closeTo(t, "B's gradient", naiveDense(lows[1]), want[1].F)
	}
}

// TestLowRankReshapeJoinsFixedAxes checks the attention's case: per head
// h, a term fixed at h on the heads' axis of [tokens, heads, depth], back
// through a reshape that merges heads and depth: each term's factor over
// depth is placed in head h's columns, and the values stay the same.
func TestLowRankReshapeJoinsFixedAxes(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	shape := []int{4, 3, 5}
	for _, where := range [][]int{{inU, 0, inV}, {inU, 2, inU}, {1, 1, inV}, {inV, 1, 3}} {
		l := &LowRank{Shape: shape}
		for h := range 3 {
			w := append([]int(nil), where...)
			if w[1] >= 0 {
				w[1] = h
			}
			l.Terms = append(l.Terms, randomTerm(rng, shape, w))
		}
		r, ok := l.reshapeBack([]int{4, 1, 15})
		if !ok {
			t.Fatalf("%v: not kept low rank", where)
		}
		if err := r.Check([]int{4, 1, 15}); err != nil {
			t.Fatal(err)
		}
		closeTo(t, "reshaped", naiveDense(r), naiveDense(l))
	}
	mixed := &LowRank{Shape: shape, Terms: []Term{randomTerm(rng, shape, []int{0, inU, inV})}}
	if _, ok := mixed.reshapeBack([]int{4, 15}); ok {
		t.Fatal("a term with the merged axes on both sides was kept low rank")
	}
}
