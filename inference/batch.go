package inference

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"camscope/inference/kernels"
	"camscope/inference/ops"
	"camscope/inference/tensor"
)

// A pass of n inputs through the graph (RunBatch splits a batch into
// passes of BatchPass items) stacks every tensor: the n values that n
// single runs would compute, one after the other along the first axis (a
// [1,3,224,224] input becomes [n,3,224,224], a [197,192] tensor
// [n*197,192]). The graph, its constants and the shapes folded at
// load (Reshape targets with a batch of 1, Shape and what is computed from
// it) stay those of one input. Each step runs in one of three ways, chosen
// once at load (planBatches):
//
//   - whole: once on the stacked tensors, for operators that treat the
//     first axis as independent items and compute each item exactly as
//     they would alone (convolutions, pools, element-wise operators with
//     constants that do not span the first axis, softmax and layer norm
//     over later axes, transposes that keep the first axis, slices of
//     later axes, products of many rows by a constant matrix);
//   - view: without running, for Reshape, Flatten, Squeeze, Unsqueeze,
//     Identity and Dropout, whose output is their input's values in the
//     same order: the stacked input, reshaped to the stacked output;
//   - item: once per input, on views of the stacked inputs, into the
//     stacked outputs (everything else: a Gemm of few rows, whose one row
//     per input would take another summation order than a single row; a
//     Reshape-like operator the planner does not know; shapes with the
//     batch of 1 built in).
//
// So every item of a batch is bit for bit the result of its single run. A
// graph with a scalar computed from the input (it cannot be stacked) runs
// its batches as single runs, one after the other (Model.BatchNote says
// why).
type batchMode uint8

const (
	byItem batchMode = iota
	whole
	view
)

// minBatchRows is the fewest rows (per input) of a product by a constant
// matrix that runs on the whole batch: far above the few rows the GEMM
// kernel computes by another path, so that the kernel sums every row the
// same way in a single run and in a batch.
const minBatchRows = 64

// Operators that compute each element from the same element of their
// input (further inputs, if any, must be constants).
var elementwiseOps = setOf("Relu", "LeakyRelu", "Clip", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh",
	"Elu", "Celu", "ThresholdedRelu", "Selu", "Softplus", "Softsign", "Mish", "Shrink", "Gelu", "Cast",
	"Not", "Exp", "Log", "Floor", "Ceil", "Round", "Reciprocal", "Sin", "Cos", "Neg", "Abs", "Sign",
	"Sqrt", "Erf", ops.SiLU)

// Operators whose first axis is the batch of images: each image is
// computed alone (their further inputs must be constants, and they must
// have one output: MaxPool's indices count across the batch).
var imageOps = setOf("Conv", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool",
	"GlobalLpPool", "BatchNormalization", "LRN", "InstanceNormalization", "DepthToSpace", "SpaceToDepth")

// Operators with numpy broadcasting over all their inputs.
var broadcastOps = setOf("Add", "Sub", "Mul", "Div", "Pow", "Mod", "Max", "Min", "Sum", "Mean", "PRelu",
	"Where", "Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual", "And", "Or", "Xor")

// Operators that return their input's values in the same order.
var viewOps = setOf("Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout")

func setOf(names ...string) map[string]bool {
	s := make(map[string]bool, len(names))
	for _, n := range names {
		s[n] = true
	}
	return s
}

// planBatches decides how each step runs in a batch (see batchMode), or
// notes in batchNote why the graph's tensors cannot be stacked.
func (m *Model) planBatches() {
	m.batchModes = make([]batchMode, len(m.steps))
	m.batchNote = ""
	for name, sh := range m.shapes {
		if m.consts[name] == nil {
			b := 4 * int64(tensor.Size(sh))
			if m.int64s[name] {
				b *= 2
			}
			m.largestItem = max(m.largestItem, b)
		}
	}
	for _, in := range m.Inputs {
		if len(in.Shape) == 0 {
			m.batchNote = fmt.Sprintf("its input %q is a scalar", in.Name)
			return
		}
	}
	for i, s := range m.steps {
		for _, names := range [][]string{s.inputs, s.outputs} {
			for _, n := range names {
				if sh, ok := m.shapes[n]; ok && n != "" && m.consts[n] == nil && len(sh) == 0 {
					m.batchNote = fmt.Sprintf("node %q (%s) computes a scalar from the input", s.name, s.opType)
					return
				}
			}
		}
		m.batchModes[i] = m.batchMode(s)
	}
	m.planLate()
}

// planLate finds the late steps of the graph that a batch runs several
// items a pass (see LatePass): the longest run of last steps whose outputs
// all stay under lateItemBytes an item, or under lateMobileItemBytes for
// mobile steps when those over lateItemBytes include a convolution (their
// inputs from earlier steps may be larger: a batch stacks them once), if
// their weights take at least lateWeightBytes and some earlier step's
// outputs do not; moveCut may then start them a few light steps later.
func (m *Model) planLate() {
	m.lateStep, m.lateItem, m.lateBytes = len(m.steps), 0, lateBatchBytes
	var weights int64
	counted := map[string]bool{}
	// The steps over lateItemBytes (mobile steps) stay out unless one of
	// them is a convolution: strict is the late part without them.
	strict, wideConv := -1, false
	var strictItem, strictWeights int64
	for i := len(m.steps) - 1; i >= 0; i-- {
		s := m.steps[i]
		var w int64
		for _, n := range s.inputs {
			if c := m.consts[n]; c != nil && !counted[n] {
				counted[n] = true
				w += tensorBytes(c)
			}
		}
		largest := m.outputBytes(s)
		if largest > lateItemBytes {
			if largest > lateMobileItemBytes || !m.mobileStep(s) {
				break
			}
			if strict < 0 {
				strict, strictItem, strictWeights = m.lateStep, m.lateItem, weights
			}
			wideConv = wideConv || s.opType == "Conv"
		}
		m.lateStep, m.lateItem = i, max(m.lateItem, largest)
		weights += w
	}
	switch {
	case strict >= 0 && !wideConv:
		m.lateStep, m.lateItem, weights = strict, strictItem, strictWeights
	case strict >= 0:
		m.lateBytes = lateMobileBatchBytes
	}
	if m.lateStep == 0 || weights < lateWeightBytes {
		m.lateStep, m.lateItem = len(m.steps), 0
	}
	if m.lateStep < len(m.steps) {
		m.moveCut(weights)
	}
	m.cutBytes = m.cutAt(m.lateStep)
}

// moveCut starts the late steps later where that leaves fewer bytes an
// item to pass from the early steps to them, counting the weights of the
// steps it moves to the early passes, which read them once an item there
// instead of once a pass: MobileNetV2's late steps began with the 14x14
// stage's first depthwise convolution, whose input (block 6's expansion
// at 28x28) took 602 KB an item to copy into the stacked tensor and hold
// for the whole batch; its projection's output takes 50 KB, and the two
// steps' weights 57 KB. weights is what the late steps' weights take
// together; at least lateWeightBytes stay late.
func (m *Model) moveCut(weights int64) {
	best, least := m.lateStep, m.cutAt(m.lateStep)
	var moved int64
	for i := m.lateStep; i+1 < len(m.steps) && i < m.lateStep+moveCutMost; i++ {
		for _, in := range m.steps[i].inputs {
			if c := m.consts[in]; c != nil {
				moved += tensorBytes(c)
			}
		}
		if moved >= least || weights-moved < lateWeightBytes {
			break
		}
		if cost := m.cutAt(i+1) + moved; cost < least {
			best, least = i+1, cost
		}
	}
	m.lateStep, m.lateItem = best, 0
	for _, s := range m.steps[best:] {
		m.lateItem = max(m.lateItem, m.outputBytes(s))
	}
}

// moveCutMost bounds the steps moveCut moves (MobileNetV2's 2): each
// candidate costs a pass over the graph, and a graph of many light steps
// must not make the load quadratic in its length.
const moveCutMost = 16

// outputBytes is the most bytes an item of step s's outputs.
func (m *Model) outputBytes(s *step) int64 {
	var largest int64
	for _, n := range s.outputs {
		if n == "" {
			continue
		}
		b := 4 * int64(tensor.Size(m.shapes[n]))
		if m.int64s[n] {
			b *= 2
		}
		largest = max(largest, b)
	}
	return largest
}

// cutAt is the bytes an item of the tensors that steps from start on read
// from earlier steps (or the graph's inputs).
func (m *Model) cutAt(start int) int64 {
	var cut int64
	early := map[string]bool{}
	for _, in := range m.Inputs {
		early[in.Name] = true
	}
	for i, s := range m.steps {
		for _, in := range s.inputs {
			if i >= start && early[in] {
				delete(early, in)
				cut += 4 * int64(tensor.Size(m.shapes[in]))
				if m.int64s[in] {
					cut += 4 * int64(tensor.Size(m.shapes[in]))
				}
			}
		}
		for _, o := range s.outputs {
			if i < start && o != "" {
				early[o] = true
			}
		}
	}
	return cut
}

// batchMode is how step s runs in a batch.
func (m *Model) batchMode(s *step) batchMode {
	var dyn [][]int // the shapes of the inputs computed from the graph's inputs
	var fixed [][]int
	for _, in := range s.inputs {
		if in == "" {
			continue
		}
		if c := m.consts[in]; c != nil {
			fixed = append(fixed, c.Shape)
		} else {
			dyn = append(dyn, m.shapes[in])
		}
	}
	outs := 0
	for _, o := range s.outputs {
		if o != "" {
			outs++
		}
	}
	// firstOnly: the first input is computed, every other one constant.
	firstOnly := len(dyn) == 1 && len(s.inputs) > 0 && s.inputs[0] != "" && m.consts[s.inputs[0]] == nil
	axis := func(def int64) int {
		a, err := s.attrs.Int("axis", def)
		if err != nil || len(dyn) == 0 {
			return 0
		}
		if r := len(dyn[0]); a < 0 {
			a += int64(r)
		}
		return int(a)
	}
	switch {
	case outs != 1 || len(dyn) == 0:
		return byItem
	case viewOps[s.opType] && firstOnly:
		return view
	case (elementwiseOps[s.opType] || imageOps[s.opType]) && firstOnly:
		return whole
	case broadcastOps[s.opType]:
		if sameFirstAxis(dyn) && firstAxisOne(fixed, len(dyn[0])) {
			return whole
		}
	case s.opType == "Softmax" || s.opType == "LogSoftmax" || s.opType == "Hardmax":
		def := int64(-1)
		if m.Opset < 13 {
			def = 1
		}
		if firstOnly && axis(def) >= 1 {
			return whole
		}
	case s.opType == "LayerNormalization":
		if firstOnly && axis(-1) >= 1 {
			return whole
		}
	case s.opType == "Gather":
		if firstOnly && axis(0) >= 1 {
			return whole
		}
	case s.opType == "Concat":
		if len(fixed) == 0 && sameFirstAxis(dyn) && axis(0) >= 1 {
			return whole
		}
	case s.opType == "Transpose":
		perm, err := s.attrs.Ints("perm", nil)
		if firstOnly && err == nil && len(perm) > 0 && perm[0] == 0 {
			return whole
		}
	case s.opType == "Gemm":
		// Rows of A are independent when A is not transposed and the
		// bias does not span them.
		transA, err := s.attrs.Int("transA", 0)
		c := m.consts[nth(s.inputs, 2)]
		if firstOnly && err == nil && transA == 0 && len(dyn[0]) == 2 && dyn[0][0] >= minBatchRows && (c == nil || c.Rank() < 2 || c.Shape[0] == 1) {
			return whole
		}
	case s.opType == "Slice":
		// From opset 10 the axes are an input; every one must be past the
		// first.
		axes := m.consts[nth(s.inputs, 3)]
		if !firstOnly || m.Opset < 10 || axes == nil || axes.DType != tensor.Int64 {
			return byItem
		}
		for _, a := range axes.I {
			if a == 0 || a == -int64(len(dyn[0])) {
				return byItem
			}
		}
		return whole
	case s.opType == "MatMul":
		// A third input is a bias fused into a product of constant
		// weights (ops.FusedBias), constant too.
		if len(s.inputs) != 2 && (len(s.inputs) != 3 || m.consts[s.inputs[2]] == nil) || len(dyn[0]) < 2 {
			return byItem
		}
		a := dyn[0]
		if b := m.consts[s.inputs[1]]; firstOnly && b != nil && b.Rank() == 2 && tensor.Size(a)/a[len(a)-1] >= minBatchRows {
			return whole // one tall product: the rows of every input
		}
		if len(dyn) == 2 && len(a) >= 3 && len(dyn[1]) == len(a) && sameFirstAxis(dyn) {
			return whole // one product per matrix, as in a single run
		}
	}
	return byItem
}

// nth returns names[i], or "" when there are not that many.
func nth(names []string, i int) string {
	if i < len(names) {
		return names[i]
	}
	return ""
}

// sameFirstAxis reports whether the shapes have one rank and one first
// dimension: stacked, they still broadcast against each other item by item.
func sameFirstAxis(shapes [][]int) bool {
	for _, sh := range shapes {
		if len(sh) == 0 || len(sh) != len(shapes[0]) || sh[0] != shapes[0][0] {
			return false
		}
	}
	return true
}

// firstAxisOne reports whether constants of these shapes broadcast
// against stacked tensors of rank r as they do against one item: they do
// not reach the first axis, or are 1 along it.
func firstAxisOne(shapes [][]int, r int) bool {
	for _, sh := range shapes {
		if len(sh) == r && sh[0] != 1 || len(sh) > r {
			return false
		}
	}
	return true
}

// stacked is the shape of n stacked values of shape sh.
func stacked(sh []int, n int) []int {
	out := append([]int(nil), sh...)
	out[0] *= n
	return out
}

// Item returns item i of a tensor that stacks n items along its first
// axis (an input or output of RunBatch), as a view of its values.
func Item(t *tensor.Tensor, n, i int) *tensor.Tensor { return items(t, n, i, 1) }

// Stack returns the items, of one shape and type, stacked along the
// first axis (copied): the input RunBatch takes for them.
func Stack(items ...*tensor.Tensor) (*tensor.Tensor, error) {
	if len(items) == 0 {
		return nil, fmt.Errorf("stack: no tensors given")
	}
	if slices.Contains(items, nil) {
		return nil, fmt.Errorf("stack: tensor %d is nil", slices.Index(items, nil))
	}
	first := items[0]
	if first.Rank() == 0 {
		return nil, fmt.Errorf("stack: scalars cannot be stacked along a first axis")
	}
	var out *tensor.Tensor
	if first.DType == tensor.Int64 {
		out = tensor.NewInt64(stacked(first.Shape, len(items))...)
	} else {
		out = tensor.NewUninit(stacked(first.Shape, len(items))...)
	}
	size := first.Len()
	for i, t := range items {
		if t.DType != first.DType || !tensor.EqualShape(t.Shape, first.Shape) {
			return nil, fmt.Errorf("stack: tensor %d is %s, tensor 0 is %s; stacked tensors need one shape and type", i, t, first)
		}
		if first.DType == tensor.Int64 {
			copy(out.I[i*size:], t.I)
		} else {
			copy(out.F[i*size:], t.F)
		}
	}
	return out, nil
}

// BatchNote says why the model runs a batch as single runs one after the
// other instead of stacked, or is "" when it can stack them (BatchPass
// says how many a pass).
func (m *Model) BatchNote() string { return m.batchNote }

// MaxBatch is the largest batch the model's memory limit allows: the
// activations of a batch of n take at most n times those of one run
// (PeakBytes, when all n go in one pass), plus one run's worth for the
// steps computed input by input.
func (m *Model) MaxBatch() int {
	return max(1, int((m.maxMemory-m.WeightBytes)/max(m.PeakBytes, 1))-1)
}

// BatchBytes is the most memory of activations RunBatch(n) holds at once:
// the passes that run at the same time (one a core, BatchPass(n) items
// each, or LatePass(n) in the late steps, PeakBytes an item), the tensors
// passed from the early steps to the late ones, stacked, and, when the
// batch takes several passes, its outputs stacked. The n inputs are the
// caller's. It grows linearly with n up to a pass a core; from there only
// the stacked tensors grow.
func (m *Model) BatchBytes(n int) int64 {
	pass := m.BatchPass(n)
	b := m.passesBytes(n, pass)
	if late := m.LatePass(n); late > 0 {
		// The tensors the late steps read from earlier ones, stacked,
		// while either part runs.
		b = max(b, m.passesBytes(n, late)) + int64(n)*m.cutBytes
	}
	if pass < n {
		for _, o := range m.Outputs {
			per := int64(4)
			if m.int64s[o.Name] {
				per = 8
			}
			b += per * int64(n*tensor.Size(o.Shape))
		}
	}
	return b
}

// passesBytes is the most memory of activations that passes of pass items
// hold at once in a batch of n: one pass a core, PeakBytes an item.
func (m *Model) passesBytes(n, pass int) int64 {
	passes := (n + pass - 1) / pass
	return int64(min(passes, runtime.GOMAXPROCS(0))*pass) * m.PeakBytes
}

// CheckBatch refuses a batch size below 1 or over MaxBatch, with a
// sentence.
func (m *Model) CheckBatch(n int) error {
	if n < 1 {
		return fmt.Errorf("a batch holds at least 1 input, not %d", n)
	}
	if n > 1 && n > m.MaxBatch() {
		need := m.WeightBytes + int64(n+1)*m.PeakBytes
		return fmt.Errorf("%w: a batch of %d needs about %s (%s of activations per input, and %s of weights), over the model's memory limit of %s; run at most %d inputs at a time",
			ErrTooLarge, n, tensor.FormatBytes(need), tensor.FormatBytes(m.PeakBytes), tensor.FormatBytes(m.WeightBytes), tensor.FormatBytes(m.maxMemory), m.MaxBatch())
	}
	return nil
}

// batchPassBytes bounds the largest tensor of one pass of a batch through
// the graph: a batch runs in passes of as many items as keep every tensor
// of a pass under it, at least one item a pass (Model.BatchPass). Stacking
// more only streams more memory through each layer: on 2 cores of an AMD
// EPYC Zen 5, 16 stacked inputs took 1.47 times the CPU time of 16 single
// runs on MobileNetV2 (largest tensor 4.8 MB an input) and 1.06 times on
// ResNet-18 (3.2 MB). vit_tiny (0.6 MB) once gained from six items a
// pass (0.91 times), but with its Softmax and LayerNorm rows vectorised
// and small products unpacked, one item a pass gave 239-251 images/s at
// batch 16 against 211-216 for six (three alternated runs each, idle,
// 2026-12-07): the bound is half a core's 1 MB L2 cache.
const batchPassBytes = 1 << 19

// lateItemBytes bounds the outputs an item of the late steps of a graph
// (Model.planLate): a CNN's last stages, whose activations are small and
// whose weights are large (lateWeightBytes or more). Those steps run a
// batch in passes of several items (up to lateBatchBytes of outputs a
// step, and at least a pass a core), so that the convolutions that take
// several images at once (the pixel-major and Winograd paths) read each
// weight once for them all, not once an item. On one core of the shared
// Zen 5, batch 16, the sum of each step's fastest time: ResNet-18 (late
// from layer3.0, 8 a pass) 18.1 -> 15.4 ms an image, its layer3 3x3
// convolutions 1190 -> 640 µs (their Winograd chunks of 32 tiles held 16
// of one image) and layer4's 1590 -> 1330 µs; MobileNetV2 (late from
// block 13) 5.35 -> 5.05 ms. Passes of 4 to 16 items gave the same within
// the noise, and so did a bound of 512 KB an item, which adds ResNet-18's
// layer2, whose Winograd layers lost a little.
const (
	lateItemBytes   = 1 << 18
	lateBatchBytes  = 1 << 21
	lateWeightBytes = 1 << 22
)

// lateMobileItemBytes is lateItemBytes for the steps of a mobile
// network's stages (mobileStep): it takes MobileNetV2's 14x14 stage into
// the late steps (its widest tensors 451 KB an item), whose 1x1
// convolutions then compute several images in one product
// (kernels.Conv.RunBatch: 196 pixels an image take 7 tiles of 32 alone,
// 6.125 in a batch). Dense 3x3 convolutions stay out: ResNet-18's layer2
// (401 KB an item) lost in late passes.
const lateMobileItemBytes = 1 << 19

// lateMobileBatchBytes is lateBatchBytes for late steps over lateItemBytes
// (mobile steps): MobileNetV2's 14x14 stage, 8 images a pass of 16 (4 with
// lateBatchBytes), so that its 1x1 products are 1568 columns wide (49
// tiles of 32), not 784. One core of the shared Zen 5, the sum of each
// step's fastest time over 30 batches of 16, against the late steps from
// block 13 on, 8 a pass: 5.00 -> 4.70 ms an image with 8 a pass, 4.89 with
// 4 (and the fastest batch, in process CPU time, 5.35 -> 5.14 and 5.28).
const lateMobileBatchBytes = 1 << 22

// mobileStep reports whether step s is of a mobile network's stages: a 1x1
// or depthwise convolution, or an operator of a CNN other than a
// convolution (one that treats each image alone, imageOps, or each
// element, elementwiseOps, broadcastOps).
func (m *Model) mobileStep(s *step) bool {
	if s.opType != "Conv" {
		return imageOps[s.opType] || elementwiseOps[s.opType] || broadcastOps[s.opType]
	}
	w := m.consts[nth(s.inputs, 1)]
	return w != nil && w.Rank() == 4 && (w.Shape[1] == 1 || w.Shape[2]*w.Shape[3] == 1)
}

// LatePass is how many items of a batch of n go through the graph's last
// LateSteps() steps together (see planLate), or 0 when the batch runs
// every step BatchPass(n) at a time: no more than keep a pass's outputs
// under lateBatchBytes (lateMobileBatchBytes for the mobile steps of
// planLate), spread evenly over the passes, at least one a core.
func (m *Model) LatePass(n int) int {
	if m.batchNote != "" || m.lateStep == len(m.steps) {
		return 0
	}
	most := min(n, max(1, int(m.lateBytes/max(m.lateItem, 1))))
	passes := max((n+most-1)/most, min(n, runtime.GOMAXPROCS(0)))
	pass := (n + passes - 1) / passes
	// The stacked tensors between the parts must fit the memory limit
	// with the passes (a batch near MaxBatch runs as before).
	held := max(m.passesBytes(n, m.BatchPass(n)), m.passesBytes(n, pass)) + int64(n)*m.cutBytes
	if pass <= m.BatchPass(n) || held > m.maxMemory-m.WeightBytes {
		return 0
	}
	return pass
}

// LateSteps is how many of the graph's last steps run a batch LatePass
// items a pass.
func (m *Model) LateSteps() int { return len(m.steps) - m.lateStep }

// BatchPass is how many items of a batch of n go through the graph
// together: 1 (single runs, one after the other) where one input's
// largest tensor is large or the graph cannot stack its tensors
// (BatchNote), up to n where it is small.
func (m *Model) BatchPass(n int) int {
	if m.batchNote != "" {
		return 1
	}
	return min(n, max(1, int(batchPassBytes/max(m.largestItem, 1))))
}

// RunBatch runs n inputs: inputs maps each graph input's name to its n
// values stacked along the first axis (Stack; the input's shape with its
// first dimension multiplied by n, [n,3,224,224] for a [1,3,224,224]
// input). The outputs, and the inner tensors named in keep, come back
// stacked the same way (Item(t, n, i) is item i). The items go through the
// graph BatchPass(n) at a time, each item's values bit for bit those of
// Run on that item alone. A batch over MaxBatch is refused. Inputs are not
// modified; it stops early, with ctx's error, when ctx is cancelled.
func (m *Model) RunBatch(ctx context.Context, n int, inputs map[string]*tensor.Tensor, keep ...string) (map[string]*tensor.Tensor, error) {
	return m.runBatch(ctx, n, m.BatchPass(n), m.LatePass(n), inputs, keep)
}

// runBatch is RunBatch with pass items a pass, and late items a pass
// through the late steps (none if 0).
func (m *Model) runBatch(ctx context.Context, n, pass, late int, inputs map[string]*tensor.Tensor, keep []string) (map[string]*tensor.Tensor, error) {
	if err := m.CheckBatch(n); err != nil {
		return nil, fmt.Errorf("run %s: %w", m.Name, err)
	}
	if n == 1 {
		return m.Run(ctx, inputs, keep...)
	}
	for _, in := range m.Inputs {
		t, ok := inputs[in.Name]
		if !ok || t == nil {
			return nil, fmt.Errorf("run %s: input %q is missing", m.Name, in.Name)
		}
		if len(in.Shape) == 0 {
			return nil, fmt.Errorf("run %s: input %q is a scalar, which a batch cannot stack; run the inputs one at a time", m.Name, in.Name)
		}
		if t.DType != in.DType || !tensor.EqualShape(t.Shape, stacked(in.Shape, n)) {
			return nil, fmt.Errorf("run %s: input %q is %s; a batch of %d stacks %d inputs of %s%s into %s%s",
				m.Name, in.Name, t, n, n, in.DType, tensor.ShapeString(in.Shape), in.DType, tensor.ShapeString(stacked(in.Shape, n)))
		}
	}
	for _, k := range keep {
		if _, ok := m.shapes[k]; !ok {
			return nil, fmt.Errorf("run %s: the graph has no tensor named %q (list them with 'camscope run --list')", m.Name, k)
		}
	}
	names := slices.Clone(keep)
	for _, o := range m.Outputs {
		names = append(names, o.Name)
	}
	if late > 0 {
		need, err := m.stepsFor(inputs, names)
		if err != nil {
			return nil, fmt.Errorf("run %s: %w", m.Name, err)
		}
		return m.inParts(ctx, n, pass, late, inputs, names, need)
	}
	return m.inPasses(n, pass, inputs, names, func(k int, in map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
		return m.run(ctx, in, keep, nil, false, 0, k)
	})
}

// inParts runs the steps marked in need on n stacked items in two parts:
// those before m.lateStep pass items a pass, then the late ones late items
// a pass from what the first part computes for them (and what given holds
// for them), stacked. It returns the tensors named in names.
func (m *Model) inParts(ctx context.Context, n, pass, late int, given map[string]*tensor.Tensor, names []string, need []bool) (map[string]*tensor.Tensor, error) {
	lateOnes := map[string]bool{} // the tensors the late steps compute
	for i := m.lateStep; i < len(m.steps); i++ {
		for _, o := range m.steps[i].outputs {
			if need[i] && o != "" && given[o] == nil {
				lateOnes[o] = true
			}
		}
	}
	var names1, names2, cut []string
	for _, name := range names {
		if lateOnes[name] {
			names2 = append(names2, name)
		} else {
			names1 = append(names1, name)
		}
	}
	given2 := map[string]*tensor.Tensor{}
	for i := m.lateStep; i < len(m.steps); i++ {
		for _, in := range m.steps[i].inputs {
			switch {
			case !need[i] || in == "" || lateOnes[in] || m.consts[in] != nil:
			case given[in] != nil:
				given2[in] = given[in]
			case !slices.Contains(cut, in):
				cut = append(cut, in)
			}
		}
	}
	want1 := append(slices.Clone(names1), cut...)
	need1, err := m.stepsFor(given, want1)
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", m.Name, err)
	}
	out, err := m.inPasses(n, pass, given, want1, func(k int, in map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
		return m.run(ctx, in, want1, need1, false, 0, k)
	})
	if err != nil {
		return nil, err
	}
	for _, c := range cut {
		given2[c] = out[c]
	}
	need2, err := m.stepsFor(given2, names2)
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", m.Name, err)
	}
	out2, err := m.inPasses(n, late, given2, names2, func(k int, in map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
		return m.run(ctx, in, names2, need2, false, 0, k)
	})
	if err != nil {
		return nil, err
	}
	held := map[uintptr]bool{} // the arrays of what is returned
	for _, name := range names2 {
		out[name] = out2[name]
		held[tensor.ArrayID(out2[name])] = true
	}
	for _, c := range cut {
		if slices.Contains(names1, c) {
			continue
		}
		if pass < n && !held[tensor.ArrayID(given2[c])] {
			// inPasses stacked it into an array of its own, which nothing
			// returned shares (a view of it, in one pass of the late steps).
			tensor.Recycle(given2[c])
		}
		delete(out, c)
	}
	return out, nil
}

// RunBatchFrom is RunFrom for n items: each given tensor stacks its n
// values along the first axis, as RunBatch's inputs do, and the tensors
// named in want come back stacked.
func (m *Model) RunBatchFrom(ctx context.Context, n int, given map[string]*tensor.Tensor, want ...string) (map[string]*tensor.Tensor, error) {
	return m.runBatchFrom(ctx, n, m.BatchPass(n), m.LatePass(n), given, want)
}

// runBatchFrom is RunBatchFrom with pass items a pass, and late items a
// pass through the late steps (none if 0).
func (m *Model) runBatchFrom(ctx context.Context, n, pass, late int, given map[string]*tensor.Tensor, want []string) (map[string]*tensor.Tensor, error) {
	if err := m.CheckBatch(n); err != nil {
		return nil, fmt.Errorf("run %s: %w", m.Name, err)
	}
	if n == 1 {
		return m.RunFrom(ctx, given, want...)
	}
	for name, t := range given {
		sh, ok := m.shapes[name]
		switch {
		case !ok:
			return nil, fmt.Errorf("run %s: the graph has no tensor named %q (list them with 'camscope run --list')", m.Name, name)
		case m.consts[name] != nil:
			return nil, fmt.Errorf("run %s: %q is a constant of the model and cannot be given", m.Name, name)
		case t == nil:
			return nil, fmt.Errorf("run %s: tensor %q is given without a value", m.Name, name)
		case len(sh) == 0 || !tensor.EqualShape(t.Shape, stacked(sh, n)) || t.DType != m.dtype(name):
			return nil, fmt.Errorf("run %s: tensor %q is given as %s; a batch of %d stacks %d values of %s%s along the first axis",
				m.Name, name, t, n, n, m.dtype(name), tensor.ShapeString(sh))
		}
	}
	need, err := m.stepsFor(given, want)
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", m.Name, err)
	}
	if late > 0 {
		switch early := slices.Contains(need[:m.lateStep], true); {
		case early && slices.Contains(need[m.lateStep:], true):
			return m.inParts(ctx, n, pass, late, given, want, need)
		case !early:
			pass = late // from a late tensor on: the late steps alone
		}
	}
	return m.inPasses(n, pass, given, want, func(k int, in map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
		return m.run(ctx, in, want, need, false, 0, k)
	})
}

// inPasses runs n stacked items pass at a time: run gets k items of each
// of in, stacked, and returns the values by name; the tensors named in
// names are stacked into the result. The passes run on every core at once
// (one pass a goroutine, up to GOMAXPROCS): a run's small operators and
// the gaps between its operators leave a core idle that another pass
// fills, and each pass is the same run it would be alone, so the items
// stay bit for bit their single runs.
func (m *Model) inPasses(n, pass int, in map[string]*tensor.Tensor, names []string, run func(k int, in map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error)) (map[string]*tensor.Tensor, error) {
	out := make(map[string]*tensor.Tensor, len(names))
	if pass >= n {
		values, err := run(n, in)
		if err != nil {
			return nil, fmt.Errorf("run %s: %w", m.Name, err)
		}
		for _, name := range names {
			out[name] = m.lookup(values, name)
		}
		return out, nil
	}
	for _, name := range names {
		if len(m.shapes[name]) == 0 {
			return nil, fmt.Errorf("run %s: %q is a scalar, which a batch cannot stack; run the inputs one at a time", m.Name, name)
		}
		if m.dtype(name) == tensor.Int64 {
			out[name] = tensor.NewInt64(stacked(m.shapes[name], n)...)
		} else {
			out[name] = tensor.NewUninit(stacked(m.shapes[name], n)...)
		}
	}
	onePass := func(first int) error {
		k := min(pass, n-first)
		part := make(map[string]*tensor.Tensor, len(in))
		for name, t := range in {
			part[name] = items(t, n, first, k)
		}
		values, err := run(k, part)
		if err != nil {
			return err
		}
		// The pass's own arrays of what it returns, copied below, go back
		// to the pool, so that the next pass on this core takes them, not
		// fresh pages from the garbage collector: MobileNetV2's batches
		// of 16 otherwise left 16 arrays of 602 KB behind (the tensor cut
		// between the early and late steps), and the next batch's 2500
		// page faults slowed it by a third.
		fed := map[uintptr]bool{}
		for _, t := range part {
			fed[tensor.ArrayID(t)] = true
		}
		defer func() {
			for _, name := range names {
				if t := values[name]; t != nil {
					m.recycle(t, nil, fed)
					fed[tensor.ArrayID(t)] = true // once
				}
			}
		}()
		for _, name := range names {
			v := m.lookup(values, name)
			size := tensor.Size(m.shapes[name])
			if v.DType != out[name].DType || v.Len() < size {
				return fmt.Errorf("%q came out as %s, not %s%s", name, v, m.dtype(name), tensor.ShapeString(m.shapes[name]))
			}
			// A constant (an output no step computes) is the same for
			// every item.
			for i := range k {
				at := (first + i) * size
				src := min(i*size, v.Len()-size)
				if v.DType == tensor.Int64 {
					copy(out[name].I[at:at+size], v.I[src:src+size])
				} else {
					copy(out[name].F[at:at+size], v.F[src:src+size])
				}
			}
		}
		return nil
	}
	passes := (n + pass - 1) / pass
	errs := make([]error, passes)
	next := make(chan int)
	var wg sync.WaitGroup
	workers := min(runtime.GOMAXPROCS(0), passes)
	defer m.ShareCores(workers)()
	for range workers {
		wg.Go(func() {
			for p := range next {
				errs[p] = onePass(p * pass)
			}
		})
	}
	for p := range passes {
		next <- p
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("run %s: %w", m.Name, err)
		}
	}
	return out, nil
}

// ShareCores says that k runs of m are about to go on at the same time (a
// batch's passes, one a core), until the returned function is called.
// Where an item's work is large against its largest tensor (at least
// shareFLOPsPerByte), each operator meanwhile spreads its work over its
// share of the cores only (kernels.ShareCores), so that each core runs
// its own item on data it wrote itself. Elsewhere nothing changes: a light
// network of large tensors is bound by moving them, which two items side
// by side, each on one core, do twice over.
func (m *Model) ShareCores(k int) (done func()) {
	if m.FLOPs() < shareFLOPsPerByte*m.largestItem {
		return func() {}
	}
	return kernels.ShareCores(k)
}

// shareFLOPsPerByte is where sharing the cores between a batch's passes
// starts to pay, measured at batch 16 on two cores of a Zen 5 (2026-12-07,
// idle, passes side by side each on one core against each spread over
// both): ResNet-18 (1130 FLOP a byte of its largest tensor) 99-100 ->
// 104-108 images/s and vit_tiny (1440) 244 -> 252 gained, MobileNetV2
// (125) 276-278 -> 237-262 lost.
const shareFLOPsPerByte = 500

// items returns k items of a tensor stacking n, from item first on, as a
// view of its values.
func items(t *tensor.Tensor, n, first, k int) *tensor.Tensor {
	sh := append([]int(nil), t.Shape...)
	sh[0] = sh[0] / n * k
	size := tensor.Size(sh)
	if t.DType == tensor.Int64 {
		return tensor.FromInt64(sh, t.I[first*size/k:][:size])
	}
	return tensor.FromFloat32(sh, t.F[first*size/k:][:size])
}

// runBatchStep runs step i of the graph on n stacked items, as its
// batchMode says.
func (m *Model) runBatchStep(i int, s *step, in []*tensor.Tensor, n int) ([]*tensor.Tensor, error) {
	switch m.batchModes[i] {
	case view:
		out := s.outputs[0]
		sh := stacked(m.shapes[out], n)
		if tensor.Size(sh) != in[0].Len() {
			return nil, fmt.Errorf("node %q (%s): a batch of %d gives it %s, which does not reshape to %s", s.name, s.opType, n, tensor.ShapeString(in[0].Shape), tensor.ShapeString(sh))
		}
		return []*tensor.Tensor{in[0].Reshaped(sh)}, nil
	case whole:
		outs, err := runStep(s, in, ops.NoBudget)
		if err != nil {
			return nil, err
		}
		for j, o := range s.outputs {
			if sh := m.shapes[o]; len(sh) > 0 && j < len(outs) && outs[j] != nil && !tensor.EqualShape(outs[j].Shape, stacked(sh, n)) {
				return nil, fmt.Errorf("node %q (%s) computes %s for a batch of %d where %d stacked %s were expected: please report this model as a bug",
					s.name, s.opType, tensor.ShapeString(outs[j].Shape), n, n, tensor.ShapeString(m.shapes[o]))
			}
		}
		return outs, nil
	}
	outs := make([]*tensor.Tensor, len(s.outputs))
	items := make([]*tensor.Tensor, len(in))
	ids := map[uintptr]bool{}
	for _, t := range in {
		ids[tensor.ArrayID(t)] = true
	}
	for item := range n {
		for j, t := range in {
			items[j] = t
			if t != nil && m.consts[s.inputs[j]] == nil {
				items[j] = Item(t, n, item)
			}
		}
		res, err := runStep(s, items, ops.NoBudget)
		if err != nil {
			return nil, err
		}
		owners := map[uintptr]int{} // how many of res hold each array
		for j, r := range res {
			if j >= len(outs) || r == nil {
				continue
			}
			owners[tensor.ArrayID(r)]++
			if item == 0 {
				if r.Rank() == 0 {
					return nil, fmt.Errorf("node %q (%s) computes a scalar for each input, which a batch cannot stack", s.name, s.opType)
				}
				if r.DType == tensor.Int64 {
					outs[j] = tensor.NewInt64(stacked(r.Shape, n)...)
				} else {
					outs[j] = tensor.NewUninit(stacked(r.Shape, n)...)
				}
			}
			if dst := outs[j]; dst.DType != r.DType || !tensor.EqualShape(stacked(r.Shape, n), dst.Shape) {
				return nil, fmt.Errorf("node %q (%s) computes %s for input %d of the batch and %s for input 0: shapes that depend on the values cannot be stacked; run the inputs one at a time",
					s.name, s.opType, r, item, Item(dst, n, 0))
			}
			if size := r.Len(); r.DType == tensor.Int64 {
				copy(outs[j].I[item*size:(item+1)*size], r.I)
			} else {
				copy(outs[j].F[item*size:(item+1)*size], r.F)
			}
		}
		// The item's own outputs are copied: hand back the arrays that
		// nothing else holds.
		for j, r := range res {
			if id := tensor.ArrayID(r); j < len(outs) && r != nil && owners[id] == 1 && !ids[id] && !m.constArrays[id] {
				tensor.Recycle(r)
			}
		}
	}
	return outs, nil
}
