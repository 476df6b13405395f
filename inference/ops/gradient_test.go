package ops

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"syscall"
	"testing"
	"time"

	"camscope/inference/tensor"
)

// fdCase is one operator application checked against central finite
// differences of the engine's own forward pass (package ops): the scalar is
// L = Σ r·y for a random r, accumulated in float64, and each VJP gradient
// element must match (L(x+h) - L(x-h)) / 2h.
type fdCase struct {
	op     string
	attrs  Attrs
	opset  int // 13 when zero
	inputs []*tensor.Tensor
	// fixed marks inputs that are constants of the node (passed to the
	// builder as such, given no gradient); int64 inputs are always fixed.
	fixed []bool
	step  float64 // 1e-2 when zero
	// outputs is the number of outputs (1 when zero); the scalar leaves out
	// those marked in unused.
	outputs int
	unused  []bool
	// seedRows, when set, are the only rows (of rowLen output elements,
	// counted through the whole output) the scalar weighs: the output
	// gradient is zero elsewhere, as a transformer's after its class token
	// is picked, and a VJP that works only where it is nonzero must still
	// get every input gradient right.
	seedRows []int
	rowLen   int
}

func (c fdCase) isFixed(i int) bool {
	x := c.inputs[i]
	return x == nil || x.DType != tensor.Float32 || i < len(c.fixed) && c.fixed[i]
}

func (c fdCase) build(t *testing.T) Op {
	t.Helper()
	consts := make([]*tensor.Tensor, len(c.inputs))
	for i := range c.inputs {
		if c.isFixed(i) {
			consts[i] = c.inputs[i]
		}
	}
	op, err := Build(&Node{OpType: c.op, Opset: c.opset, Attrs: c.attrs, Consts: consts, NumOutputs: max(c.outputs, 1)})
	if err != nil {
		t.Fatal(err)
	}
	return op
}

func runOp(t *testing.T, op Op, inputs []*tensor.Tensor) []*tensor.Tensor {
	t.Helper()
	out, err := op.Run(NoBudget, inputs)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func checkFD(t *testing.T, c fdCase) {
	t.Helper()
	if c.opset == 0 {
		c.opset = 13
	}
	if c.step == 0 {
		c.step = 1e-2
	}
	op := c.build(t)
	if _, ok := op.(Differentiable); !ok {
		t.Fatalf("the built %s is not Differentiable", c.op)
	}
	ys := runOp(t, op, c.inputs)[:max(c.outputs, 1)]
	rs := make([]*tensor.Tensor, len(ys))
	for k, y := range ys {
		if k < len(c.unused) && c.unused[k] {
			continue
		}
		rng := rand.New(rand.NewPCG(7, uint64(y.Len()+k)))
		rs[k] = tensor.New(y.Shape...)
		for i := range rs[k].F {
			rs[k].F[i] = float32(rng.Float64()*2 - 1)
			if c.seedRows != nil && !slices.Contains(c.seedRows, i/c.rowLen) {
				rs[k].F[i] = 0
			}
		}
	}
	loss := func(inputs []*tensor.Tensor) float64 {
		s := 0.0
		for k, out := range runOp(t, op, inputs)[:len(rs)] {
			if rs[k] == nil {
				continue
			}
			for i, v := range out.F {
				s += float64(rs[k].F[i]) * float64(v)
			}
		}
		return s
	}
	need := make([]bool, len(c.inputs))
	for i := range need {
		need[i] = !c.isFixed(i)
	}
	grads, err := VJP(c.op, op, &Pass{Inputs: c.inputs, Outputs: ys, Need: need}, rs...)
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range c.inputs {
		if !need[i] {
			if grads[i] != nil {
				t.Errorf("input %d is fixed but got a gradient", i)
			}
			continue
		}
		g := grads[i]
		if g == nil {
			t.Fatalf("input %d: no gradient", i)
		}
		scale := 0.0
		for _, v := range g.F {
			scale = math.Max(scale, math.Abs(float64(v)))
		}
		worst, at, fdAt := 0.0, -1, 0.0
		for j := range x.F {
			in := append([]*tensor.Tensor(nil), c.inputs...)
			p := x.Clone()
			p.F[j] += float32(c.step)
			in[i] = p
			lp := loss(in)
			p = x.Clone()
			p.F[j] -= float32(c.step)
			in[i] = p
			fd := (lp - loss(in)) / (2 * c.step)
			if d := math.Abs(fd - float64(g.F[j])); d > worst || math.IsNaN(d) {
				worst, at, fdAt = d, j, fd
			}
		}
		if !(worst <= 1e-3*scale+5e-5) {
			t.Errorf("input %d %s: VJP %g, finite difference %g at element %d (scale %g)", i, tensor.ShapeString(x.Shape), g.F[at], fdAt, at, scale)
		}
	}
}

// random returns a tensor of uniform values in [lo, hi) that keep at least
// margin away from each point of avoid (the kinks of piecewise functions).
func random(rng *rand.Rand, lo, hi float64, avoid []float64, margin float64, shape ...int) *tensor.Tensor {
	t := tensor.New(shape...)
	for i := range t.F {
	again:
		v := lo + rng.Float64()*(hi-lo)
		for _, a := range avoid {
			if math.Abs(v-a) < margin {
				goto again
			}
		}
		t.F[i] = float32(v)
	}
	return t
}

// distinct returns a tensor of well separated values in random order, so
// that small steps never change which element is a window's maximum.
func distinct(rng *rand.Rand, shape ...int) *tensor.Tensor {
	t := tensor.New(shape...)
	for i, p := range rng.Perm(t.Len()) {
		t.F[i] = float32(p)*0.05 - float32(t.Len())*0.025
	}
	return t
}

// shifted returns t + d: two distinct tensors of one shape hold the same
// values, and may tie at a position, unless one is shifted by less than
// their spacing.
func shifted(t *tensor.Tensor, d float32) *tensor.Tensor {
	t = t.Clone()
	for i := range t.F {
		t.F[i] += d
	}
	return t
}

func ints(v ...int64) *tensor.Tensor { return tensor.FromInt64([]int{len(v)}, v) }

func scalar(v float32) *tensor.Tensor { return tensor.FromFloat32(nil, []float32{v}) }

// gradientCases is the table of finite-difference checks: every operator
// registered as differentiable needs at least one case
// (TestGradientCasesCoverRegistry).
func gradientCases() map[string]fdCase {
	rng := rand.New(rand.NewPCG(1, 2))
	u := func(shape ...int) *tensor.Tensor { return random(rng, -1, 1, nil, 0, shape...) }
	// w draws from an rng of its own, so that cases added with it leave
	// the others' values as they were.
	rngW := rand.New(rand.NewPCG(3, 4))
	w := func(shape ...int) *tensor.Tensor { return random(rngW, -1, 1, nil, 0, shape...) }
	wPos := func(shape ...int) *tensor.Tensor { return random(rngW, 0.5, 2, nil, 0, shape...) }
	pos := func(shape ...int) *tensor.Tensor { return random(rng, 0.5, 2, nil, 0, shape...) }
	awayFrom := func(avoid []float64, lo, hi float64, shape ...int) *tensor.Tensor {
		return random(rng, lo, hi, avoid, 0.05, shape...)
	}
	fixed := func(n int, which ...int) []bool {
		f := make([]bool, n)
		for _, i := range which {
			f[i] = true
		}
		return f
	}
	cases := map[string]fdCase{
		"Relu":                 {op: "Relu", inputs: []*tensor.Tensor{awayFrom([]float64{0}, -1, 1, 2, 3, 4)}},
		"LeakyRelu":            {op: "LeakyRelu", attrs: Attrs{"alpha": float32(0.1)}, inputs: []*tensor.Tensor{awayFrom([]float64{0}, -1, 1, 2, 3, 4)}},
		"LeakyRelu default":    {op: "LeakyRelu", inputs: []*tensor.Tensor{awayFrom([]float64{0}, -1, 1, 24)}},
		"Sigmoid":              {op: "Sigmoid", inputs: []*tensor.Tensor{random(rng, -4, 4, nil, 0, 2, 3, 4)}},
		"Tanh":                 {op: "Tanh", inputs: []*tensor.Tensor{random(rng, -2, 2, nil, 0, 2, 3, 4)}},
		"HardSigmoid":          {op: "HardSigmoid", inputs: []*tensor.Tensor{awayFrom([]float64{-2.5, 2.5}, -4, 4, 3, 10)}},
		"HardSigmoid attrs":    {op: "HardSigmoid", attrs: Attrs{"alpha": float32(0.3), "beta": float32(0.4)}, inputs: []*tensor.Tensor{awayFrom([]float64{-4.0 / 3, 2}, -4, 4, 3, 10)}},
		"HardSwish":            {op: "HardSwish", inputs: []*tensor.Tensor{awayFrom([]float64{-3, 3}, -5, 5, 3, 10)}},
		"Neg":                  {op: "Neg", inputs: []*tensor.Tensor{u(5)}},
		"Clip opset 13":        {op: "Clip", inputs: []*tensor.Tensor{awayFrom([]float64{-0.5, 0.5}, -1, 1, 3, 10), scalar(-0.5), scalar(0.5)}},
		"Clip min only":        {op: "Clip", inputs: []*tensor.Tensor{awayFrom([]float64{-0.5}, -1, 1, 3, 10), scalar(-0.5)}},
		"Clip max only":        {op: "Clip", inputs: []*tensor.Tensor{awayFrom([]float64{0.5}, -1, 1, 3, 10), nil, scalar(0.5)}},
		"Clip opset 6 (Relu6)": {op: "Clip", opset: 6, attrs: Attrs{"min": float32(0), "max": float32(6)}, inputs: []*tensor.Tensor{awayFrom([]float64{0, 6}, -2, 8, 3, 10)}},

		"Add same shape":            {op: "Add", inputs: []*tensor.Tensor{u(2, 3, 4), u(2, 3, 4)}},
		"Add channel bias":          {op: "Add", inputs: []*tensor.Tensor{u(2, 3, 4, 5), u(1, 3, 1, 1)}},
		"Add both broadcast":        {op: "Add", inputs: []*tensor.Tensor{u(3, 1, 5), u(2, 1, 4, 1)}},
		"Add last axes":             {op: "Add", inputs: []*tensor.Tensor{w(1, 4), w(2, 3, 4)}},
		"Mul last axes":             {op: "Mul", inputs: []*tensor.Tensor{w(2, 3, 4), w(1, 3, 4)}},
		"Mul by a scalar":           {op: "Mul", inputs: []*tensor.Tensor{w(2, 3), w()}, fixed: fixed(2, 1)},
		"Mul zero rows":             {op: "Mul", inputs: []*tensor.Tensor{w(5, 4), w(5, 4)}, seedRows: []int{1, 3}, rowLen: 4},
		"Mul by a scalar zero rows": {op: "Mul", inputs: []*tensor.Tensor{w(5, 4), w()}, fixed: fixed(2, 1), seedRows: []int{1, 3}, rowLen: 4},
		"Mul last axes zero rows":   {op: "Mul", inputs: []*tensor.Tensor{w(2, 3, 4), w(1, 3, 4)}, seedRows: []int{1, 4}, rowLen: 4},
		"Div zero rows":             {op: "Div", inputs: []*tensor.Tensor{w(5, 4), wPos(5, 4)}, seedRows: []int{1, 3}, rowLen: 4},
		"Div broadcast zero rows":   {op: "Div", inputs: []*tensor.Tensor{w(2, 3, 4), wPos(3, 1)}, seedRows: []int{1, 4}, rowLen: 4},
		"Add bias zero rows":        {op: "Add", inputs: []*tensor.Tensor{w(5, 4), w(4)}, seedRows: []int{1, 3}, rowLen: 4},
		"Sub zero rows":             {op: "Sub", inputs: []*tensor.Tensor{w(5, 4), w(5, 4)}, seedRows: []int{1, 3}, rowLen: 4},
		"Div same shape":            {op: "Div", inputs: []*tensor.Tensor{w(2, 3), wPos(2, 3)}},
		"Div by a scalar":           {op: "Div", inputs: []*tensor.Tensor{w(2, 3), wPos()}, fixed: fixed(2, 1)},
		"Div by a scalar zero rows": {op: "Div", inputs: []*tensor.Tensor{w(5, 4), wPos()}, fixed: fixed(2, 1), seedRows: []int{1, 3}, rowLen: 4},
		"Sub scalar":                {op: "Sub", inputs: []*tensor.Tensor{u(2, 3), u()}},
		"Sub broadcast first":       {op: "Sub", inputs: []*tensor.Tensor{u(3, 1), u(2, 3, 4)}},
		"Mul squeeze-excite":        {op: "Mul", inputs: []*tensor.Tensor{u(1, 4, 3, 3), u(1, 4, 1, 1)}},
		"Mul same tensor twice":     {op: "Mul", inputs: func() []*tensor.Tensor { x := u(2, 5); return []*tensor.Tensor{x, x.Clone()} }()},
		"Mul constant":              {op: "Mul", inputs: []*tensor.Tensor{u(2, 3, 4), u(4)}, fixed: fixed(2, 1)},
		"Div":                       {op: "Div", inputs: []*tensor.Tensor{u(2, 3, 4), pos(3, 1)}},
		"Div constant":              {op: "Div", inputs: []*tensor.Tensor{u(2, 3), pos(2, 3)}, fixed: fixed(2, 1)},

		"Conv 3x3 pad 1":                {op: "Conv", attrs: Attrs{"pads": []int64{1, 1, 1, 1}}, inputs: []*tensor.Tensor{u(1, 3, 5, 6), u(4, 3, 3, 3), u(4)}},
		"Conv stride 2 asymmetric pads": {op: "Conv", attrs: Attrs{"strides": []int64{2, 2}, "pads": []int64{0, 1, 2, 0}}, inputs: []*tensor.Tensor{u(2, 2, 7, 6), u(3, 2, 3, 3)}},
		"Conv dilation 2":               {op: "Conv", attrs: Attrs{"dilations": []int64{2, 2}, "pads": []int64{2, 1, 2, 1}}, inputs: []*tensor.Tensor{u(1, 2, 7, 7), u(2, 2, 3, 3), u(2)}},
		"Conv groups 2":                 {op: "Conv", attrs: Attrs{"group": int64(2), "pads": []int64{1, 1, 1, 1}}, inputs: []*tensor.Tensor{u(1, 4, 5, 5), u(6, 2, 3, 3), u(6)}},
		"Conv depthwise":                {op: "Conv", attrs: Attrs{"group": int64(3), "strides": []int64{2, 2}, "pads": []int64{1, 1, 1, 1}}, inputs: []*tensor.Tensor{u(1, 3, 6, 6), u(3, 1, 3, 3)}},
		"Conv depthwise x2":             {op: "Conv", attrs: Attrs{"group": int64(2), "kernel_shape": []int64{3, 3}}, inputs: []*tensor.Tensor{u(1, 2, 5, 5), u(4, 1, 3, 3)}},
		"Conv 1x1 constant weights":     {op: "Conv", inputs: []*tensor.Tensor{u(1, 5, 3, 4), u(7, 5, 1, 1), u(7)}, fixed: fixed(3, 1, 2)},
		"Conv fused SiLU":               {op: "Conv", attrs: Attrs{"pads": []int64{1, 1, 1, 1}, FusedActivation: SiLU}, inputs: []*tensor.Tensor{w(1, 3, 5, 6), w(4, 3, 3, 3), w(4)}},
		"Conv depthwise fused SiLU":     {op: "Conv", attrs: Attrs{"group": int64(3), "pads": []int64{2, 2, 2, 2}, FusedActivation: SiLU}, inputs: []*tensor.Tensor{w(1, 3, 6, 6), w(3, 1, 5, 5)}, fixed: fixed(2, 1)},
		"Conv SAME_UPPER stride 2":      {op: "Conv", attrs: Attrs{"auto_pad": "SAME_UPPER", "strides": []int64{2, 2}}, inputs: []*tensor.Tensor{u(1, 2, 6, 5), u(2, 2, 4, 4)}},
		"Conv SAME_LOWER":               {op: "Conv", attrs: Attrs{"auto_pad": "SAME_LOWER"}, inputs: []*tensor.Tensor{u(1, 2, 5, 5), u(2, 2, 2, 2)}},
		"Conv VALID 1x3":                {op: "Conv", attrs: Attrs{"auto_pad": "VALID"}, inputs: []*tensor.Tensor{u(1, 2, 4, 6), u(3, 2, 1, 3)}},
		"Conv 1-D stride 1":             {op: "Conv", attrs: Attrs{"pads": []int64{2, 1}, "dilations": []int64{2}}, inputs: []*tensor.Tensor{u(2, 3, 9), u(2, 3, 3)}},
		"Conv 1x1 pad 1 groups 3":       {op: "Conv", attrs: Attrs{"pads": []int64{1, 1, 1, 1}, "group": int64(3)}, inputs: []*tensor.Tensor{u(1, 6, 3, 4), u(9, 2, 1, 1), u(9)}},
		"Conv 1-D":                      {op: "Conv", attrs: Attrs{"pads": []int64{1, 0}, "strides": []int64{2}}, inputs: []*tensor.Tensor{u(2, 3, 9), u(2, 3, 3), u(2)}},

		"MaxPool 3x3 s2 p1":            {op: "MaxPool", attrs: Attrs{"kernel_shape": []int64{3, 3}, "strides": []int64{2, 2}, "pads": []int64{1, 1, 1, 1}}, inputs: []*tensor.Tensor{distinct(rng, 1, 2, 7, 7)}},
		"MaxPool ceil_mode":            {op: "MaxPool", attrs: Attrs{"kernel_shape": []int64{3, 3}, "strides": []int64{2, 2}, "ceil_mode": int64(1)}, inputs: []*tensor.Tensor{distinct(rng, 1, 2, 8, 6)}},
		"MaxPool 2x2 dilation":         {op: "MaxPool", attrs: Attrs{"kernel_shape": []int64{2, 2}, "dilations": []int64{2, 2}}, inputs: []*tensor.Tensor{distinct(rng, 2, 1, 5, 5)}},
		"MaxPool overlapping 1-D":      {op: "MaxPool", attrs: Attrs{"kernel_shape": []int64{3}, "strides": []int64{1}, "pads": []int64{1, 1}}, inputs: []*tensor.Tensor{distinct(rng, 1, 2, 9)}},
		"AveragePool":                  {op: "AveragePool", attrs: Attrs{"kernel_shape": []int64{2, 2}, "strides": []int64{2, 2}}, inputs: []*tensor.Tensor{u(1, 2, 4, 6)}},
		"AveragePool pads exclude":     {op: "AveragePool", attrs: Attrs{"kernel_shape": []int64{3, 3}, "strides": []int64{2, 2}, "pads": []int64{1, 1, 1, 1}}, inputs: []*tensor.Tensor{u(1, 2, 6, 5)}},
		"AveragePool pads include":     {op: "AveragePool", attrs: Attrs{"kernel_shape": []int64{3, 3}, "strides": []int64{2, 2}, "pads": []int64{1, 0, 1, 2}, "count_include_pad": int64(1)}, inputs: []*tensor.Tensor{u(1, 2, 6, 5)}},
		"AveragePool ceil exclude":     {op: "AveragePool", attrs: Attrs{"kernel_shape": []int64{3, 3}, "strides": []int64{2, 2}, "ceil_mode": int64(1)}, inputs: []*tensor.Tensor{u(1, 2, 6, 8)}},
		"AveragePool ceil include pad": {op: "AveragePool", attrs: Attrs{"kernel_shape": []int64{3, 3}, "strides": []int64{2, 2}, "pads": []int64{1, 1, 1, 1}, "ceil_mode": int64(1), "count_include_pad": int64(1)}, inputs: []*tensor.Tensor{u(1, 1, 6, 8)}},
		"AveragePool 7x7 head":         {op: "AveragePool", attrs: Attrs{"kernel_shape": []int64{1, 1}}, inputs: []*tensor.Tensor{u(1, 3, 3, 3)}},
		"GlobalAveragePool":            {op: "GlobalAveragePool", inputs: []*tensor.Tensor{u(2, 3, 4, 5)}},
		"GlobalMaxPool":                {op: "GlobalMaxPool", inputs: []*tensor.Tensor{distinct(rng, 2, 3, 4, 5)}},

		"ReduceMean spatial keepdims": {op: "ReduceMean", attrs: Attrs{"axes": []int64{2, 3}}, inputs: []*tensor.Tensor{u(1, 3, 4, 5)}},
		"ReduceMean no keepdims":      {op: "ReduceMean", attrs: Attrs{"axes": []int64{-1, 1}, "keepdims": int64(0)}, inputs: []*tensor.Tensor{u(2, 3, 4)}},
		"ReduceMean all":              {op: "ReduceMean", inputs: []*tensor.Tensor{u(2, 3, 4)}},
		"ReduceMean opset 18 input":   {op: "ReduceMean", opset: 18, attrs: Attrs{"keepdims": int64(0)}, inputs: []*tensor.Tensor{u(2, 3, 4), ints(2)}},
		"ReduceSum opset 13 input":    {op: "ReduceSum", inputs: []*tensor.Tensor{u(2, 3, 4), ints(0, 2)}},
		"ReduceSum opset 11 attr":     {op: "ReduceSum", opset: 11, attrs: Attrs{"axes": []int64{1}}, inputs: []*tensor.Tensor{u(2, 3, 4)}},

		"Concat channels":     {op: "Concat", attrs: Attrs{"axis": int64(1)}, inputs: []*tensor.Tensor{u(1, 2, 3, 3), u(1, 1, 3, 3), u(1, 3, 3, 3)}},
		"Concat last axis":    {op: "Concat", attrs: Attrs{"axis": int64(-1)}, inputs: []*tensor.Tensor{u(2, 3, 1), u(2, 3, 2)}},
		"Concat with const":   {op: "Concat", attrs: Attrs{"axis": int64(0)}, inputs: []*tensor.Tensor{u(1, 3), u(2, 3)}, fixed: fixed(2, 0)},
		"Flatten":             {op: "Flatten", inputs: []*tensor.Tensor{u(2, 3, 2, 2)}},
		"Flatten axis 2":      {op: "Flatten", attrs: Attrs{"axis": int64(2)}, inputs: []*tensor.Tensor{u(2, 3, 2, 2)}},
		"Reshape":             {op: "Reshape", inputs: []*tensor.Tensor{u(2, 3, 4), ints(4, -1)}},
		"Squeeze":             {op: "Squeeze", inputs: []*tensor.Tensor{u(1, 3, 1, 1), ints(2, 3)}},
		"Squeeze opset 11":    {op: "Squeeze", opset: 11, attrs: Attrs{"axes": []int64{0}}, inputs: []*tensor.Tensor{u(1, 3, 2)}},
		"Unsqueeze":           {op: "Unsqueeze", inputs: []*tensor.Tensor{u(2, 3), ints(0, 3)}},
		"Identity":            {op: "Identity", inputs: []*tensor.Tensor{u(2, 3)}},
		"Dropout":             {op: "Dropout", inputs: []*tensor.Tensor{u(2, 3)}},
		"Transpose":           {op: "Transpose", attrs: Attrs{"perm": []int64{0, 2, 3, 1}}, inputs: []*tensor.Tensor{u(2, 3, 4, 2)}},
		"Transpose zero rows": {op: "Transpose", attrs: Attrs{"perm": []int64{0, 2, 1, 3}}, inputs: []*tensor.Tensor{w(1, 5, 3, 4)}, seedRows: []int{2, 6}, rowLen: 4},
		"Transpose default":   {op: "Transpose", inputs: []*tensor.Tensor{u(2, 3, 4)}},
		"Pad constant":        {op: "Pad", inputs: []*tensor.Tensor{u(1, 2, 3, 3), ints(0, 0, 1, 2, 0, 0, 2, 0), scalar(0.5)}},
		"Pad negative":        {op: "Pad", inputs: []*tensor.Tensor{u(1, 2, 4, 4), ints(0, 0, -1, 1, 0, 0, 1, -2)}},
		"Pad opset 2 attrs":   {op: "Pad", opset: 2, attrs: Attrs{"pads": []int64{0, 1, 1, 0, 0, 1}}, inputs: []*tensor.Tensor{u(2, 3, 2)}},
		"Pad opset 18 axes":   {op: "Pad", opset: 18, inputs: []*tensor.Tensor{u(2, 3, 2), ints(1, 2, 0, 1), nil, ints(1, -1)}},

		"Gemm":               {op: "Gemm", inputs: []*tensor.Tensor{u(3, 4), u(4, 5), u(5)}},
		"Gemm transB":        {op: "Gemm", attrs: Attrs{"transB": int64(1), "alpha": float32(0.5), "beta": float32(2)}, inputs: []*tensor.Tensor{u(2, 4), u(6, 4), u(2, 6)}},
		"Gemm transA":        {op: "Gemm", attrs: Attrs{"transA": int64(1)}, inputs: []*tensor.Tensor{u(4, 3), u(4, 5), u(1, 1)}},
		"Gemm both":          {op: "Gemm", attrs: Attrs{"transA": int64(1), "transB": int64(1), "alpha": float32(1.5)}, inputs: []*tensor.Tensor{u(4, 3), u(5, 4)}},
		"Gemm const weights": {op: "Gemm", attrs: Attrs{"transB": int64(1)}, inputs: []*tensor.Tensor{u(1, 8), u(3, 8), u(3)}, fixed: fixed(3, 1, 2)},
		// One value of the output (a class's logit): the input gradient
		// reads one row (transB) or column of B.
		"Gemm const weights one value":  {op: "Gemm", attrs: Attrs{"transB": int64(1), "alpha": float32(0.5)}, inputs: []*tensor.Tensor{w(3, 8), w(6, 8), w(6)}, fixed: fixed(3, 1, 2), seedRows: []int{8}, rowLen: 1},
		"Gemm const weights few values": {op: "Gemm", inputs: []*tensor.Tensor{w(4, 5), w(5, 6), w(6)}, fixed: fixed(3, 1, 2), seedRows: []int{7, 8, 16}, rowLen: 1},
		"MatMul zero rows":              {op: "MatMul", inputs: []*tensor.Tensor{w(5, 3), w(3, 4)}, seedRows: []int{1, 3}, rowLen: 4},
		"MatMul batched zero rows":      {op: "MatMul", inputs: []*tensor.Tensor{w(3, 3, 4), w(3, 4, 2)}, seedRows: []int{1, 3}, rowLen: 2},
		// A [5,6] output in chunks of 2 columns: row 1 whole, rows 2 to 4
		// in columns 2-3 only (a transformer's query, key and value
		// gradient: the class token's row, the keys' and values' columns).
		"MatMul zero columns after the first row": {op: "MatMul", inputs: []*tensor.Tensor{w(5, 3), w(3, 6)}, seedRows: []int{3, 4, 5, 7, 10, 13}, rowLen: 2},
		"MatMul zero columns":                     {op: "MatMul", inputs: []*tensor.Tensor{w(5, 3), w(3, 6)}, seedRows: []int{4, 7, 13}, rowLen: 2},
		"MatMul":                                  {op: "MatMul", inputs: []*tensor.Tensor{u(3, 4), u(4, 5)}},
		"MatMul rank 3 by matrix":                 {op: "MatMul", inputs: []*tensor.Tensor{u(2, 3, 4), u(4, 2)}},
		"MatMul batched":                          {op: "MatMul", inputs: []*tensor.Tensor{u(2, 3, 4), u(2, 4, 2)}},
		"MatMul+bias":                             {op: "MatMul", attrs: Attrs{FusedBias: int64(1)}, inputs: []*tensor.Tensor{w(2, 3, 4), w(4, 5), w(5)}},
		"MatMul+bias+Gelu":                        {op: "MatMul", attrs: Attrs{FusedBias: int64(1), FusedActivation: "Gelu"}, inputs: []*tensor.Tensor{w(2, 3, 4), w(4, 5), w(5)}},
		"MatMul+Gelu const weights":               {op: "MatMul", attrs: Attrs{FusedActivation: "Gelu"}, inputs: []*tensor.Tensor{w(3, 4), w(4, 5)}, fixed: fixed(2, 1)},
		"MatMul+bias+Gelu zero rows": {op: "MatMul", attrs: Attrs{FusedBias: int64(1), FusedActivation: "Gelu"}, inputs: []*tensor.Tensor{w(1, 6, 3), w(3, 4), w(4)},
			fixed: fixed(3, 1, 2), seedRows: []int{1, 3}, rowLen: 4},

		"Softmax zero rows":               {op: "Softmax", inputs: []*tensor.Tensor{w(5, 4)}, seedRows: []int{1, 3}, rowLen: 4},
		"Softmax axis 1 zero rows":        {op: "Softmax", attrs: Attrs{"axis": int64(1)}, inputs: []*tensor.Tensor{w(3, 3, 4)}, seedRows: []int{1, 5}, rowLen: 4},
		"Softmax":                         {op: "Softmax", inputs: []*tensor.Tensor{u(2, 5)}},
		"Softmax axis 1":                  {op: "Softmax", attrs: Attrs{"axis": int64(1)}, inputs: []*tensor.Tensor{u(2, 3, 4)}},
		"Softmax opset 11":                {op: "Softmax", opset: 11, inputs: []*tensor.Tensor{u(2, 3, 4)}},
		"LogSoftmax":                      {op: "LogSoftmax", inputs: []*tensor.Tensor{u(3, 4)}},
		"LogSoftmax opset 11":             {op: "LogSoftmax", opset: 11, attrs: Attrs{"axis": int64(0)}, inputs: []*tensor.Tensor{u(2, 3)}},
		"BatchNormalization":              {op: "BatchNormalization", attrs: Attrs{"epsilon": float32(1e-3)}, inputs: []*tensor.Tensor{u(2, 3, 2, 2), u(3), u(3), u(3), pos(3)}},
		"Conv fused Relu":                 {op: "Conv", attrs: Attrs{"pads": []int64{1, 1, 1, 1}, FusedActivation: "Relu"}, inputs: []*tensor.Tensor{u(1, 2, 4, 4), u(3, 2, 3, 3), u(3)}},
		"Add fused Relu":                  {op: "Add", attrs: Attrs{FusedActivation: "Relu"}, inputs: []*tensor.Tensor{u(2, 3, 4), u(2, 3, 4)}},
		"BatchNormalization fused Clip":   {op: "BatchNormalization", attrs: Attrs{FusedActivation: "Clip", FusedMin: float32(0), FusedMax: float32(0.5)}, inputs: []*tensor.Tensor{u(1, 4, 3, 3), u(4), u(4), u(4), pos(4)}},
		"Elu":                             {op: "Elu", attrs: Attrs{"alpha": float32(0.7)}, inputs: []*tensor.Tensor{awayFrom([]float64{0}, -2, 2, 3, 8)}},
		"Selu":                            {op: "Selu", inputs: []*tensor.Tensor{awayFrom([]float64{0}, -2, 2, 3, 8)}},
		"Softplus":                        {op: "Softplus", inputs: []*tensor.Tensor{random(rng, -3, 3, nil, 0, 3, 8)}},
		"Exp":                             {op: "Exp", inputs: []*tensor.Tensor{u(3, 8)}},
		"Log":                             {op: "Log", inputs: []*tensor.Tensor{pos(3, 8)}},
		"Sqrt":                            {op: "Sqrt", inputs: []*tensor.Tensor{pos(3, 8)}},
		"Reciprocal":                      {op: "Reciprocal", inputs: []*tensor.Tensor{pos(3, 8)}},
		"Abs":                             {op: "Abs", inputs: []*tensor.Tensor{awayFrom([]float64{0}, -1, 1, 3, 8)}},
		"Erf zero rows":                   {op: "Erf", inputs: []*tensor.Tensor{random(rngW, -2, 2, nil, 0, 4, 8)}, seedRows: []int{1, 2}, rowLen: 8},
		"Erf":                             {op: "Erf", inputs: []*tensor.Tensor{random(rng, -2, 2, nil, 0, 3, 8)}},
		"Einsum attention":                {op: "Einsum", attrs: Attrs{"equation": "bhqd,bhkd->bhqk"}, inputs: []*tensor.Tensor{u(1, 2, 3, 4), u(1, 2, 5, 4)}},
		"Einsum diagonal broadcast":       {op: "Einsum", attrs: Attrs{"equation": "...ii,...i"}, inputs: []*tensor.Tensor{u(2, 1, 3, 3), u(4, 3)}},
		"Gelu":                            {op: "Gelu", inputs: []*tensor.Tensor{random(rng, -3, 3, nil, 0, 3, 8)}},
		"Gelu tanh":                       {op: "Gelu", attrs: Attrs{"approximate": "tanh"}, inputs: []*tensor.Tensor{random(rng, -3, 3, nil, 0, 3, 8)}},
		"Pow":                             {op: "Pow", inputs: []*tensor.Tensor{pos(2, 3), u(3)}},
		"Pow square":                      {op: "Pow", inputs: []*tensor.Tensor{u(2, 3), scalar(2)}, fixed: fixed(2, 1)},
		"PRelu":                           {op: "PRelu", inputs: []*tensor.Tensor{awayFrom([]float64{0}, -1, 1, 1, 3, 2, 2), u(3, 1, 1)}},
		"PRelu constant slope":            {op: "PRelu", inputs: []*tensor.Tensor{awayFrom([]float64{0}, -1, 1, 2, 4), u(4)}, fixed: fixed(2, 1)},
		"Sum":                             {op: "Sum", inputs: []*tensor.Tensor{u(2, 3), u(3), u(2, 1)}},
		"Mean":                            {op: "Mean", inputs: []*tensor.Tensor{u(2, 3), u(2, 3)}},
		"LRN":                             {op: "LRN", attrs: Attrs{"size": int64(3), "alpha": float32(0.5), "beta": float32(0.75), "bias": float32(1)}, inputs: []*tensor.Tensor{u(2, 5, 2, 2)}},
		"LRN even size":                   {op: "LRN", attrs: Attrs{"size": int64(4), "alpha": float32(0.8)}, inputs: []*tensor.Tensor{u(1, 6, 3)}},
		"Slice":                           {op: "Slice", inputs: []*tensor.Tensor{u(2, 6, 5), ints(1, -4), ints(5, 100), ints(1, 2)}},
		"Slice zero rows":                 {op: "Slice", inputs: []*tensor.Tensor{w(2, 6, 5), ints(1, -4), ints(5, 100), ints(1, 2)}, seedRows: []int{1, 5}, rowLen: 4},
		"Slice steps zero rows":           {op: "Slice", inputs: []*tensor.Tensor{w(7, 7), ints(6, 0), ints(-100, 7), ints(1, 0), ints(-2, 3)}, seedRows: []int{1}, rowLen: 4},
		"Slice steps":                     {op: "Slice", inputs: []*tensor.Tensor{u(3, 7), ints(6, 0), ints(-100, 7), ints(1, 0), ints(-2, 3)}},
		"Slice opset 9":                   {op: "Slice", opset: 9, attrs: Attrs{"starts": []int64{1}, "ends": []int64{3}, "axes": []int64{0}}, inputs: []*tensor.Tensor{u(4, 3)}},
		"Split":                           {op: "Split", attrs: Attrs{"axis": int64(1)}, outputs: 2, inputs: []*tensor.Tensor{u(1, 4, 2, 2)}},
		"Split sizes one unused":          {op: "Split", attrs: Attrs{"axis": int64(-1)}, outputs: 3, unused: []bool{false, true, false}, inputs: []*tensor.Tensor{u(2, 6), ints(1, 2, 3)}},
		"Split opset 11":                  {op: "Split", opset: 11, attrs: Attrs{"split": []int64{3, 1}}, outputs: 2, inputs: []*tensor.Tensor{u(4, 2)}},
		"LayerNormalization zero rows":    {op: "LayerNormalization", inputs: []*tensor.Tensor{w(2, 5, 4), w(4), w(4)}, seedRows: []int{2, 6}, rowLen: 4},
		"LayerNormalization":              {op: "LayerNormalization", inputs: []*tensor.Tensor{u(2, 3, 4), u(4), u(4)}},
		"LayerNormalization axis 1":       {op: "LayerNormalization", attrs: Attrs{"axis": int64(1), "epsilon": float32(1e-3)}, inputs: []*tensor.Tensor{u(2, 3, 2), u(3, 2), u(3, 2)}},
		"LayerNormalization no bias":      {op: "LayerNormalization", inputs: []*tensor.Tensor{u(3, 5), u(5)}},
		"InstanceNormalization zero rows": {op: "InstanceNormalization", inputs: []*tensor.Tensor{w(2, 3, 2, 3), w(3), w(3)}, seedRows: []int{1, 4}, rowLen: 6},
		"InstanceNormalization":           {op: "InstanceNormalization", inputs: []*tensor.Tensor{u(2, 3, 2, 3), u(3), u(3)}},
		"Gather":                          {op: "Gather", attrs: Attrs{"axis": int64(1)}, inputs: []*tensor.Tensor{u(2, 4, 3), tensor.FromInt64([]int{2, 2}, []int64{0, -1, 3, 0})}},
		"Gather axis 0":                   {op: "Gather", inputs: []*tensor.Tensor{u(3, 2), ints(2)}},
		"Expand":                          {op: "Expand", inputs: []*tensor.Tensor{u(3, 1), ints(2, 3, 4)}},
		"Tile":                            {op: "Tile", inputs: []*tensor.Tensor{u(2, 3), ints(2, 3)}},
		"Cast":                            {op: "Cast", attrs: Attrs{"to": int64(1)}, inputs: []*tensor.Tensor{u(2, 3)}},
		"Max":                             {op: "Max", inputs: []*tensor.Tensor{distinct(rng, 2, 3), distinct(rng, 3), distinct(rng, 2, 1)}},
		"Min":                             {op: "Min", inputs: []*tensor.Tensor{distinct(rng, 2, 3), shifted(distinct(rng, 2, 3), 0.025)}},
		"ReduceMax":                       {op: "ReduceMax", attrs: Attrs{"axes": []int64{1}}, inputs: []*tensor.Tensor{distinct(rng, 2, 3, 4)}},
		"ReduceMin all":                   {op: "ReduceMin", attrs: Attrs{"keepdims": int64(0)}, inputs: []*tensor.Tensor{distinct(rng, 2, 3)}},
		"ReduceMax opset 18":              {op: "ReduceMax", opset: 18, inputs: []*tensor.Tensor{distinct(rng, 2, 3, 4), ints(-1, 0)}},
		"Mish":                            {op: "Mish", inputs: []*tensor.Tensor{random(rng, -3, 3, nil, 0, 3, 8)}},
		"Softsign":                        {op: "Softsign", inputs: []*tensor.Tensor{awayFrom([]float64{0}, -3, 3, 3, 8)}},
		"ConvTranspose":                   {op: "ConvTranspose", inputs: []*tensor.Tensor{u(1, 2, 3, 3), u(2, 3, 3, 3), u(3)}},
		"ConvTranspose stride 2 pads":     {op: "ConvTranspose", attrs: Attrs{"strides": []int64{2, 2}, "pads": []int64{1, 0, 0, 1}, "output_padding": []int64{1, 0}}, inputs: []*tensor.Tensor{u(2, 2, 3, 4), u(2, 2, 3, 3)}},
		"ConvTranspose groups dilation":   {op: "ConvTranspose", attrs: Attrs{"group": int64(2), "dilations": []int64{2, 1}}, inputs: []*tensor.Tensor{u(1, 4, 3, 3), u(4, 1, 2, 2), u(2)}},
		"ConvTranspose SAME_UPPER":        {op: "ConvTranspose", attrs: Attrs{"auto_pad": "SAME_UPPER", "strides": []int64{2, 2}}, inputs: []*tensor.Tensor{u(1, 2, 3, 3), u(2, 2, 3, 3)}},
		"ConvTranspose output_shape":      {op: "ConvTranspose", attrs: Attrs{"strides": []int64{3, 2}, "output_shape": []int64{10, 8}}, inputs: []*tensor.Tensor{u(1, 1, 3, 3), u(1, 2, 3, 3)}},
		"ConvTranspose 1-D":               {op: "ConvTranspose", attrs: Attrs{"strides": []int64{2}, "pads": []int64{1, 1}}, inputs: []*tensor.Tensor{u(1, 2, 5), u(2, 3, 4), u(3)}},
		"DepthToSpace":                    {op: "DepthToSpace", attrs: Attrs{"blocksize": int64(2)}, inputs: []*tensor.Tensor{u(1, 8, 2, 3)}},
		"DepthToSpace CRD":                {op: "DepthToSpace", attrs: Attrs{"blocksize": int64(2), "mode": "CRD"}, inputs: []*tensor.Tensor{u(1, 8, 2, 2)}},
		"SpaceToDepth":                    {op: "SpaceToDepth", attrs: Attrs{"blocksize": int64(2)}, inputs: []*tensor.Tensor{u(1, 2, 4, 6)}},
		"Resize nearest scales":           {op: "Resize", inputs: []*tensor.Tensor{u(1, 2, 3, 3), nil, tensor.FromFloat32([]int{4}, []float32{1, 1, 2, 1.5})}, fixed: fixed(3, 2)},
		"Resize nearest down":             {op: "Resize", attrs: Attrs{"nearest_mode": "floor", "coordinate_transformation_mode": "asymmetric"}, inputs: []*tensor.Tensor{u(1, 1, 5, 6), nil, nil, ints(1, 1, 3, 4)}},
		"Upsample":                        {op: "Upsample", opset: 9, inputs: []*tensor.Tensor{u(1, 2, 2, 3), tensor.FromFloat32([]int{4}, []float32{1, 1, 2, 2})}, fixed: fixed(2, 1)},
		"Pad reflect":                     {op: "Pad", attrs: Attrs{"mode": "reflect"}, inputs: []*tensor.Tensor{u(1, 2, 3, 4), ints(0, 0, 1, 2, 0, 0, 2, 1)}},
		"Pad edge":                        {op: "Pad", attrs: Attrs{"mode": "edge"}, inputs: []*tensor.Tensor{u(2, 3), ints(1, 2, 2, 0)}},
		"BatchNormalization constants":    {op: "BatchNormalization", inputs: []*tensor.Tensor{u(1, 4, 3, 3), u(4), u(4), u(4), pos(4)}, fixed: fixed(5, 1, 2, 3, 4)},
		"SiLU":                            {op: SiLU, inputs: []*tensor.Tensor{random(rand.New(rand.NewPCG(7, 7)), -6, 6, nil, 0, 2, 3, 4)}},
	}
	return cases
}

func TestVJPFiniteDifferences(t *testing.T) {
	for name, c := range gradientCases() {
		t.Run(name, func(t *testing.T) { checkFD(t, c) })
	}
}

// TestGradientCasesCoverRegistry holds the registry and the gradient
// table together: an operator registered as differentiable needs a case in
// gradientCases (which checks that the built operator is Differentiable),
// and one registered without a gradient must not build into a
// Differentiable operator or have a case.
func TestGradientCasesCoverRegistry(t *testing.T) {
	tested := map[string]bool{}
	for _, c := range gradientCases() {
		tested[c.op] = true
	}
	for _, op := range Supported() {
		if registry[op].traits&differentiable != 0 {
			if !tested[op] {
				t.Errorf("%s is registered as differentiable but has no case in gradientCases (gradient_test.go)", op)
			}
			continue
		}
		if tested[op] {
			t.Errorf("%s has a gradient case but is registered with noGradient", op)
		}
		// Most operators build from no attributes; those that cannot are
		// checked by their cases elsewhere.
		if built, err := Build(&Node{OpType: op, Opset: 18, NumOutputs: 1}); err == nil {
			if _, ok := built.(Differentiable); ok {
				t.Errorf("%s is registered with noGradient but its built operator has a VJP: register it as differentiable", op)
			}
		}
	}
	for op := range tested {
		if _, ok := registry[op]; !ok {
			t.Errorf("gradientCases tests %s, which is not registered", op)
		}
	}
}

func TestVJPErrors(t *testing.T) {
	build := func(opType string, a Attrs) Op {
		t.Helper()
		op, err := Build(&Node{OpType: opType, Opset: 13, Attrs: a, NumOutputs: 1})
		if err != nil {
			t.Fatal(err)
		}
		return op
	}
	x := tensor.New(1, 2)
	_, err := VJP("Floor", build("Floor", nil), &Pass{Inputs: []*tensor.Tensor{x}, Outputs: []*tensor.Tensor{x}}, x)
	if !errors.Is(err, ErrNoVJP) {
		t.Errorf("Floor: error %v, want ErrNoVJP", err)
	}
	_, err = VJP("Relu", build("Relu", nil), &Pass{Inputs: []*tensor.Tensor{x}, Outputs: []*tensor.Tensor{x}}, tensor.New(2, 1))
	if err == nil {
		t.Error("a gradient of the wrong shape was accepted")
	}
	_, err = VJP("Resize", build("Resize", Attrs{"mode": "linear"}), &Pass{
		Inputs: []*tensor.Tensor{x, nil, tensor.FromFloat32([]int{2}, []float32{1, 2})}, Outputs: []*tensor.Tensor{tensor.New(1, 4)}}, tensor.New(1, 4))
	if !errors.Is(err, ErrNoVJP) {
		t.Errorf("linear Resize: error %v, want ErrNoVJP", err)
	}
}

// BenchmarkConvVJP is the input gradient of a convolution with constant
// weights over ResNet-18's maps of its last three stages: the 3x3 stride-1
// ones (512x7x7, 256x14x14, 128x28x28), and the 3x3 and 1x1 stride-2 ones
// that start layer3 and layer4 (s2: input size, to twice the channels),
// the largest steps of a Grad-CAM backward pass to an inner layer.
func BenchmarkConvVJP(b *testing.B) {
	for _, s := range []struct{ c, hw, m, k, stride int }{{512, 7, 512, 3, 1}, {256, 14, 256, 3, 1}, {128, 28, 128, 3, 1},
		{256, 14, 512, 3, 2}, {128, 28, 256, 3, 2}, {256, 14, 512, 1, 2}, {128, 28, 256, 1, 2}} {
		name := fmt.Sprintf("%dx%dx%d", s.c, s.hw, s.hw)
		if s.stride > 1 {
			name = fmt.Sprintf("%dx%d-s%d-%dx%dx%d", s.k, s.k, s.stride, s.c, s.hw, s.hw)
		}
		b.Run(name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(3, 4))
			x := random(rng, -1, 1, nil, 0, 1, s.c, s.hw, s.hw)
			w := random(rng, -0.05, 0.05, nil, 0, s.m, s.c, s.k, s.k)
			ohw := (s.hw-1)/s.stride + 1
			y := tensor.New(1, s.m, ohw, ohw)
			g := random(rng, -1, 1, nil, 0, 1, s.m, ohw, ohw)
			pad := int64(s.k / 2)
			attrs := Attrs{"pads": []int64{pad, pad, pad, pad}, "strides": []int64{int64(s.stride), int64(s.stride)}}
			op, err := Build(&Node{OpType: "Conv", Attrs: attrs, Opset: 13, Consts: []*tensor.Tensor{nil, w}, NumOutputs: 1})
			if err != nil {
				b.Fatal(err)
			}
			p := &Pass{Inputs: []*tensor.Tensor{x, w}, Outputs: []*tensor.Tensor{y}, Need: []bool{true, false}}
			if _, err := VJP("Conv", op, p, g); err != nil { // prepares the kernels
				b.Fatal(err)
			}
			b.ReportAllocs()
			c0 := cpuTime(b)
			for b.Loop() {
				if _, err := VJP("Conv", op, p, g); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuTime(b)-c0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the CPU time the process has used, user and system: with
// GOMAXPROCS=1 a benchmark's work, which waits for a core on a loaded
// machine do not inflate.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkDepthwiseConvVJP is EfficientNet's 5x5 depthwise convolution over
// 1152x7x7.
func BenchmarkDepthwiseConvVJP(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := random(rng, -1, 1, nil, 0, 1, 1152, 7, 7)
	w := random(rng, -0.05, 0.05, nil, 0, 1152, 1, 5, 5)
	y := tensor.New(1, 1152, 7, 7)
	g := random(rng, -1, 1, nil, 0, 1, 1152, 7, 7)
	op, err := Build(&Node{OpType: "Conv", Attrs: Attrs{"pads": []int64{2, 2, 2, 2}, "group": int64(1152)}, Opset: 13, NumOutputs: 1})
	if err != nil {
		b.Fatal(err)
	}
	p := &Pass{Inputs: []*tensor.Tensor{x, w}, Outputs: []*tensor.Tensor{y}, Need: []bool{true, false}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := VJP("Conv", op, p, g); err != nil {
			b.Fatal(err)
		}
	}
}

// TestMatMulVJPZeroRows: where the output gradient's rows are zero but
// for a few (a transformer's class token after the last attention),
// MatMul's VJP computes only those, and its input gradient still equals
// g·Bᵀ written out, for a weight matrix and for batched operands.
func TestMatMulVJPZeroRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	op, err := Build(&Node{OpType: "MatMul", Opset: 13, NumOutputs: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ a, b []int }{{[]int{2, 6, 3}, []int{3, 4}}, {[]int{2, 6, 3}, []int{2, 3, 4}}} {
		a, b := random(rng, -1, 1, nil, 0, c.a...), random(rng, -1, 1, nil, 0, c.b...)
		y := runOp(t, op, []*tensor.Tensor{a, b})
		g := tensor.New(y[0].Shape...)
		// Batch 0: rows 2 and 4 only; batch 1: none.
		for _, r := range []int{2, 4} {
			for j := range 4 {
				g.F[r*4+j] = float32(rng.Float64()*2 - 1)
			}
		}
		grads, err := VJP("MatMul", op, &Pass{Inputs: []*tensor.Tensor{a, b}, Outputs: y, Need: []bool{true, false}}, g)
		if err != nil {
			t.Fatal(err)
		}
		bBatch := 0
		if len(c.b) == 3 {
			bBatch = 3 * 4
		}
		for i := range 2 {
			for r := range 6 {
				for col := range 3 {
					var want float64
					for j := range 4 {
						want += float64(g.F[(i*6+r)*4+j]) * float64(b.F[i*bBatch+col*4+j])
					}
					if got := grads[0].F[(i*6+r)*3+col]; math.Abs(float64(got)-want) > 1e-6 {
						t.Errorf("B %v: dA[%d,%d,%d] = %g, want %g", c.b, i, r, col, got, want)
					}
				}
			}
		}
	}
}
