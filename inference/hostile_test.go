package inference

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"camscope/inference/onnxpb"
	"camscope/inference/tensor"
)

// Hostile model files, small and made here: each must be refused with a
// sentence before the memory it asks for is allocated.

// marshal returns the bytes of m.
func marshal(t testing.TB, m *onnxpb.Model) []byte {
	t.Helper()
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// oneNode is a model of one node reading input x (shape dims) and the
// initializers, writing y.
func oneNode(n onnxpb.Node, dims []int64, inits ...onnxpb.Tensor) *onnxpb.Model {
	n.Outputs = []string{"y"}
	return &onnxpb.Model{Graph: onnxpb.Graph{
		Nodes:        []onnxpb.Node{n},
		Initializers: inits,
		Inputs:       []onnxpb.ValueInfo{{Name: "x", Dims: dims}},
		Outputs:      []onnxpb.ValueInfo{{Name: "y"}},
	}}
}

// refusedCheaply loads b and wants an error that says each of says, after
// allocating less than 64 MiB.
func refusedCheaply(t *testing.T, b []byte, opt Options, says ...string) error {
	t.Helper()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := LoadBytes("hostile.onnx", b, opt)
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Fatal("loaded without error")
	}
	for _, s := range says {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not say %q", err, s)
		}
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 64<<20 {
		t.Errorf("allocated %d MiB before refusing", got>>20)
	}
	return err
}

func convNode(attrs ...onnxpb.Attr) onnxpb.Node {
	return onnxpb.Node{OpType: "Conv", Inputs: []string{"x", "w"}, Attrs: attrs}
}

var convWeights = onnxpb.Tensor{Name: "w", Dims: []int64{1, 1, 3, 3}, Data: make([]float32, 9)}

// TestLoadRefusesAbsurdWindows: strides, dilations, pads and kernel sizes
// out of proportion to the input are refused before the kernels size
// anything from them (a stride of 2^40 used to allocate 2^40 phase flags).
func TestLoadRefusesAbsurdWindows(t *testing.T) {
	x := []int64{1, 1, 8, 8}
	cases := map[string]*onnxpb.Model{
		"Conv strides 2^40":          oneNode(convNode(onnxpb.Ints("strides", 1<<40, 1<<40)), x, convWeights),
		"Conv strides 2^31":          oneNode(convNode(onnxpb.Ints("strides", 1<<31, 1)), x, convWeights),
		"Conv dilations 2^40":        oneNode(convNode(onnxpb.Ints("dilations", 1<<40, 1)), x, convWeights),
		"Conv dilations 2^62":        oneNode(convNode(onnxpb.Ints("dilations", 1, 1<<62)), x, convWeights),
		"Conv pads 2^40":             oneNode(convNode(onnxpb.Ints("pads", 1<<40, 0, 1<<40, 0), onnxpb.Ints("strides", 1<<20, 1)), x, convWeights),
		"MaxPool kernel 2^40":        oneNode(onnxpb.Node{OpType: "MaxPool", Inputs: []string{"x"}, Attrs: []onnxpb.Attr{onnxpb.Ints("kernel_shape", 1<<40, 1), onnxpb.Ints("pads", 1<<40, 0, 0, 0)}}, x),
		"AveragePool strides 2^40":   oneNode(onnxpb.Node{OpType: "AveragePool", Inputs: []string{"x"}, Attrs: []onnxpb.Attr{onnxpb.Ints("kernel_shape", 2, 2), onnxpb.Ints("strides", 1<<40, 1<<40)}}, x),
		"ConvTranspose strides 2^62": oneNode(onnxpb.Node{OpType: "ConvTranspose", Inputs: []string{"x", "w"}, Attrs: []onnxpb.Attr{onnxpb.Ints("strides", 1<<62, 1)}}, x, convWeights),
	}
	for name, m := range cases {
		t.Run(name, func(t *testing.T) {
			refusedCheaply(t, marshal(t, m), Options{}, "out of proportion")
		})
	}
}

// TestLoadKeepsSmallWindowsOnSmallInputs: the bounds leave room for a
// small feature map meeting an ordinary window.
func TestLoadKeepsSmallWindowsOnSmallInputs(t *testing.T) {
	x := []int64{1, 1, 1, 1}
	for name, m := range map[string]*onnxpb.Model{
		"3x3 conv, pads 1, stride 2":     oneNode(convNode(onnxpb.Ints("pads", 1, 1, 1, 1), onnxpb.Ints("strides", 2, 2)), x, convWeights),
		"1x1 conv, stride 2":             oneNode(convNode(onnxpb.Ints("strides", 2, 2)), x, onnxpb.Tensor{Name: "w", Dims: []int64{1, 1, 1, 1}, Data: []float32{1}}),
		"DeepLab ASPP branch on 14 x 14": oneNode(convNode(onnxpb.Ints("pads", 18, 18, 18, 18), onnxpb.Ints("dilations", 18, 18)), []int64{1, 1, 14, 14}, convWeights),
		"3x3 max pool, pads 1":           oneNode(onnxpb.Node{OpType: "MaxPool", Inputs: []string{"x"}, Attrs: []onnxpb.Attr{onnxpb.Ints("kernel_shape", 3, 3), onnxpb.Ints("pads", 1, 1, 1, 1), onnxpb.Ints("strides", 2, 2)}}, x),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := LoadBytes("small.onnx", marshal(t, m), Options{}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// rangeModel folds Range(0, limit, 1) of the given ONNX type at load.
func rangeModel(limit int64, float bool) *onnxpb.Model {
	scalar := func(name string, v int64) onnxpb.Node {
		a := onnxpb.Int("value_int", v)
		if float {
			a = onnxpb.Float("value_float", float32(v))
		}
		return onnxpb.Node{OpType: "Constant", Outputs: []string{name}, Attrs: []onnxpb.Attr{a}}
	}
	return &onnxpb.Model{Graph: onnxpb.Graph{
		Nodes: []onnxpb.Node{
			scalar("start", 0), scalar("limit", limit), scalar("delta", 1),
			{OpType: "Range", Inputs: []string{"start", "limit", "delta"}, Outputs: []string{"r"}},
			{OpType: "Relu", Inputs: []string{"x"}, Outputs: []string{"y"}},
		},
		Inputs:  []onnxpb.ValueInfo{{Name: "x", Dims: []int64{1}}},
		Outputs: []onnxpb.ValueInfo{{Name: "y"}, {Name: "r"}},
	}}
}

// TestRangeHasTheOneSizeCap: Range is capped at the size every other
// operator is (it allowed 2^31 elements, eight times more).
func TestRangeHasTheOneSizeCap(t *testing.T) {
	for _, float := range []bool{false, true} {
		t.Run(fmt.Sprint("float ", float), func(t *testing.T) {
			refusedCheaply(t, marshal(t, rangeModel(1<<28+64, float)), Options{}, "Range", "too large") // exact in float32
		})
	}
	if _, err := LoadBytes("range.onnx", marshal(t, rangeModel(1000, false)), Options{}); err != nil {
		t.Fatal(err)
	}
}

// constantsModel folds n ConstantOfShape nodes of the given shape at load;
// nothing the graph outputs depends on them.
func constantsModel(n int, dims ...int64) *onnxpb.Model {
	g := onnxpb.Graph{
		Nodes: []onnxpb.Node{
			{OpType: "Constant", Outputs: []string{"shape"}, Attrs: []onnxpb.Attr{onnxpb.Ints("value_ints", dims...)}},
			{OpType: "Relu", Inputs: []string{"x"}, Outputs: []string{"y"}},
		},
		Inputs:  []onnxpb.ValueInfo{{Name: "x", Dims: []int64{1}}},
		Outputs: []onnxpb.ValueInfo{{Name: "y"}},
	}
	for i := range n {
		g.Nodes = append(g.Nodes, onnxpb.Node{OpType: "ConstantOfShape", Inputs: []string{"shape"}, Outputs: []string{fmt.Sprintf("c%d", i)}})
	}
	return &onnxpb.Model{Graph: g}
}

// TestFoldedConstantsCountAgainstTheLimit: six constants of 16 MiB folded
// at load pass a limit of 64 MiB (the file did the same with six of
// 1 GiB and the default limit).
func TestFoldedConstantsCountAgainstTheLimit(t *testing.T) {
	b := marshal(t, constantsModel(6, 4096, 1024))
	_, err := LoadBytes("constants.onnx", b, Options{MaxMemory: 64 << 20})
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "64.0 MiB") || !strings.Contains(err.Error(), "constants computed") {
		t.Fatalf("got %v, want ErrTooLarge naming the limit and the constants", err)
	}
	m, err := LoadBytes("constants.onnx", marshal(t, constantsModel(2, 1024, 1024)), Options{MaxMemory: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if m.WeightBytes < 8<<20 {
		t.Errorf("WeightBytes %d leaves out the two folded constants of 4 MiB", m.WeightBytes)
	}
}

// TestOutputsOverTheBudgetAreRefusedBeforeAllocation: an operator's output
// is measured against what is left of the memory limit before it is
// allocated, both when it is folded at load and in the check run: a
// 512 MiB output under a 64 MiB limit allocates nothing like it. (Loading
// used to compute the output first and count it after.)
func TestOutputsOverTheBudgetAreRefusedBeforeAllocation(t *testing.T) {
	shape := onnxpb.Node{OpType: "Constant", Outputs: []string{"shape"}, Attrs: []onnxpb.Attr{onnxpb.Ints("value_ints", 8192, 16384)}}
	expand := &onnxpb.Model{Graph: onnxpb.Graph{
		Nodes:   []onnxpb.Node{shape, {OpType: "Expand", Inputs: []string{"x", "shape"}, Outputs: []string{"y"}}},
		Inputs:  []onnxpb.ValueInfo{{Name: "x", Dims: []int64{1, 1}}},
		Outputs: []onnxpb.ValueInfo{{Name: "y"}},
	}}
	for name, c := range map[string]struct {
		m  *onnxpb.Model
		op string
	}{
		"folded at load": {constantsModel(1, 8192, 16384), "ConstantOfShape"},
		"check run":      {expand, "Expand"},
	} {
		t.Run(name, func(t *testing.T) {
			err := refusedCheaply(t, marshal(t, c.m), Options{MaxMemory: 64 << 20}, c.op, "[8192x16384] needs 512.0 MiB", "left of the model's memory limit")
			if !errors.Is(err, ErrTooLarge) {
				t.Errorf("got %v, want ErrTooLarge", err)
			}
		})
	}
}

// reversedChain is x -> Identity -> ... -> y, n nodes listed last first.
func reversedChain(n int) *onnxpb.Model {
	name := func(i int) string { return fmt.Sprintf("t%d", i) }
	g := onnxpb.Graph{Inputs: []onnxpb.ValueInfo{{Name: name(0), Dims: []int64{1, 4}}}, Outputs: []onnxpb.ValueInfo{{Name: name(n)}}}
	for i := n; i >= 1; i-- {
		g.Nodes = append(g.Nodes, onnxpb.Node{OpType: "Identity", Inputs: []string{name(i - 1)}, Outputs: []string{name(i)}})
	}
	return &onnxpb.Model{Graph: g}
}

// TestLoadReversedChain: chains listed in reverse load in time linear in
// their length, and run in the repaired order. No load is timed against a
// clock: the process CPU time of the cheapest of three loads of a chain of
// n nodes is compared with that of three of 8n, interleaved, and the ratio
// must stay under 32. CPU time, not wall time: on a machine shared with
// other jobs a wall-clock ratio reached 34-70 with linear loading. Linear
// loading gives 8 to 18 (a busy 2-core machine, with and without -race);
// the sort that made a pass per node (17 s for 40k nodes) gave 60 to 99.
func TestLoadReversedChain(t *testing.T) {
	const n, factor = 2000, 8
	short, long := marshal(t, reversedChain(n)), marshal(t, reversedChain(factor*n))
	fastest := [2]time.Duration{math.MaxInt64, math.MaxInt64}
	var m *Model
	for range 3 {
		for i, b := range [][]byte{short, long} {
			runtime.GC()
			start := processCPU(t)
			var err error
			m, err = LoadBytes("chain.onnx", b, Options{})
			fastest[i] = min(fastest[i], processCPU(t)-start)
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	ratio := float64(fastest[1]) / float64(fastest[0])
	t.Logf("%d nodes: %v, %d nodes: %v, ratio %.1f", n, fastest[0], factor*n, fastest[1], ratio)
	if ratio > 32 {
		t.Errorf("loading %d times the nodes took %.1f times as long (%v and %v): the loader is not linear", factor, ratio, fastest[0], fastest[1])
	}
	x := tensor.FromFloat32([]int{1, 4}, []float32{1, 2, 3, 4})
	out, err := m.Run(context.Background(), map[string]*tensor.Tensor{"t0": x})
	if err != nil {
		t.Fatal(err)
	}
	if y := out[fmt.Sprintf("t%d", factor*n)]; y == nil || y.F[3] != 4 {
		t.Fatalf("output %v, want the input", y)
	}
}

func BenchmarkLoadReversedChain(b *testing.B) {
	for _, n := range []int{10000, 40000} {
		data := marshal(b, reversedChain(n))
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				if _, err := LoadBytes("chain.onnx", data, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestLoadRefusesExternalData: weights kept in a separate file are named
// as such, with what to do, and no file is opened.
func TestLoadRefusesExternalData(t *testing.T) {
	b := marshal(t, oneNode(onnxpb.Node{OpType: "Add", Inputs: []string{"x", "w"}}, []int64{1, 4}))
	// An initializer whose values are in w.bin (data_location EXTERNAL),
	// merged into the graph as a second graph field.
	var kv, tp, g []byte
	kv = protowire.AppendTag(kv, 1, protowire.BytesType)
	kv = protowire.AppendString(kv, "location")
	kv = protowire.AppendTag(kv, 2, protowire.BytesType)
	kv = protowire.AppendString(kv, "w.bin")
	tp = protowire.AppendTag(tp, 1, protowire.VarintType) // dims
	tp = protowire.AppendVarint(tp, 4)
	tp = protowire.AppendTag(tp, 2, protowire.VarintType) // data_type FLOAT
	tp = protowire.AppendVarint(tp, 1)
	tp = protowire.AppendTag(tp, 8, protowire.BytesType) // name
	tp = protowire.AppendString(tp, "w")
	tp = protowire.AppendTag(tp, 13, protowire.BytesType) // external_data
	tp = protowire.AppendBytes(tp, kv)
	tp = protowire.AppendTag(tp, 14, protowire.VarintType) // data_location EXTERNAL
	tp = protowire.AppendVarint(tp, 1)
	g = protowire.AppendTag(g, 5, protowire.BytesType) // initializer
	g = protowire.AppendBytes(g, tp)
	b = protowire.AppendTag(b, 7, protowire.BytesType) // graph
	b = protowire.AppendBytes(b, g)
	refusedCheaply(t, b, Options{}, "separate file", "external data", "save_as_external_data=False")
}

// countdown is a context that reports cancellation from its nth Err call
// on, so that a test can cancel a load in the middle, at an operator
// boundary, and count how far it went.
type countdown struct {
	context.Context
	calls, n int
}

func (c *countdown) Err() error {
	c.calls++
	if c.calls >= c.n {
		return context.Canceled
	}
	return nil
}

// TestLoadContextCancels: a cancelled load stops at the next operator with
// the context's error, whether it folds constants or runs the check.
func TestLoadContextCancels(t *testing.T) {
	g := onnxpb.Graph{Inputs: []onnxpb.ValueInfo{{Name: "t0", Dims: []int64{1, 4}}}, Outputs: []onnxpb.ValueInfo{{Name: "t1000"}}}
	for i := 1; i <= 1000; i++ {
		g.Nodes = append(g.Nodes, onnxpb.Node{OpType: "Relu", Inputs: []string{fmt.Sprintf("t%d", i-1)}, Outputs: []string{fmt.Sprintf("t%d", i)}})
	}
	b := marshal(t, &onnxpb.Model{Graph: g})
	for _, at := range []int{1, 2, 10, 1500} { // 1 and 2: around the decoding; at 1500 the check run is on
		ctx := &countdown{Context: context.Background(), n: at}
		_, err := LoadBytesContext(ctx, "chain.onnx", b, Options{})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled at %d: got %v", at, err)
		}
		if ctx.calls != at {
			t.Errorf("cancelled at call %d, went on to call %d", at, ctx.calls)
		}
	}
	path := filepath.Join(t.TempDir(), "chain.onnx")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := LoadContext(ctx, path, Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if _, err := LoadContext(context.Background(), path, Options{}); err != nil {
		t.Fatal(err)
	}
}

// processCPU returns the CPU time the test process has used so far, user
// and system: what a computation costs, whatever else shares the machine.
func processCPU(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// sharedGemms is x ([3,1024]) through n Gemms in a row that all read the
// one 4 MiB initializer w as their transposed B.
func sharedGemms(n int) *onnxpb.Model {
	const k = 1024
	g := onnxpb.Graph{
		Initializers: []onnxpb.Tensor{{Name: "w", Dims: []int64{k, k}, Data: make([]float32, k*k)}},
		Inputs:       []onnxpb.ValueInfo{{Name: "y0", Dims: []int64{3, k}}},
		Outputs:      []onnxpb.ValueInfo{{Name: fmt.Sprintf("y%d", n)}},
	}
	for i := range n {
		g.Nodes = append(g.Nodes, onnxpb.Node{OpType: "Gemm", Inputs: []string{fmt.Sprintf("y%d", i), "w"},
			Outputs: []string{fmt.Sprintf("y%d", i+1)}, Attrs: []onnxpb.Attr{onnxpb.Int("transB", 1)}})
	}
	return &onnxpb.Model{Graph: g}
}

// TestSharedWeightsCountAgainstTheLimit: each node that reads a constant
// as weights may keep its own copy of it for its kernels (a Gemm its
// transposed B), which the file, holding the constant once, does not
// show: 2000 Gemms sharing one 4 MiB weight would have made 8 GB of copies
// in the check run. They are counted before any is built; two readers
// load.
func TestSharedWeightsCountAgainstTheLimit(t *testing.T) {
	opt := Options{MaxMemory: 64 << 20}
	err := refusedCheaply(t, marshal(t, sharedGemms(2000)), opt, "reads weights that other nodes read too", "64.0 MiB")
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("got %v, want ErrTooLarge", err)
	}
	if _, err := LoadBytes("shared.onnx", marshal(t, sharedGemms(2)), opt); err != nil {
		t.Fatal(err)
	}
}
