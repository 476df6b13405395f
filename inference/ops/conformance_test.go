package ops_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"camscope/inference"
	"camscope/inference/ops"
	"camscope/inference/tensor"
)

// conformanceDir holds ONNX's own operator test cases (Debian package
// libonnx-testdata): a one-node model.onnx per case, with inputs and
// expected outputs as TensorProto files.
const conformanceDir = "/usr/share/libonnx-testdata/data/node"

// conformanceSkip says why a case of the engine's operators is not run, or
// "" when it must pass.
func conformanceSkip(name string, info *protoInfo) string {
	switch {
	case info.opsets[""] < inference.MinOpset && !unchangedSince(info):
		return fmt.Sprintf("opset %d is older than the %d the engine starts at", info.opsets[""], inference.MinOpset)
	case strings.Contains(name, "training_mode") || strings.HasPrefix(name, "test_training_dropout"):
		return "training mode: the engine runs inference only"
	case name == "test_identity_opt" || name == "test_identity_sequence":
		return "optional and sequence values are not tensors"
	case name == "test_resize_downsample_sizes_nearest_tf_half_pixel_for_nn":
		return "its Constant holds an empty tensor (dims [0]), which onnx-go's decoder cannot read"
	case strings.Contains(strings.ToUpper(name), "FLOAT16") || strings.Contains(name, "STRING"):
		return "float16, bfloat16 and string tensors: onnx-go's decoder cannot hold them and the engine computes in float32"
	}
	return ""
}

// TestConformance runs every ONNX node test whose graph uses only operators
// the engine implements, and compares with the expected outputs. Every
// registered operator must be covered by a case that runs, unless its
// registration declares that the data has none (ops.NoConformanceData).
func TestConformance(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join(conformanceDir, "test_*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no ONNX conformance data under %s: install the Debian package libonnx-testdata", conformanceDir)
	}
	supported := map[string]bool{}
	for _, op := range ops.Supported() {
		supported[op] = true
	}
	var ran, skipped []string
	covered := map[string]bool{}
	for _, dir := range dirs {
		name := filepath.Base(dir)
		data, err := os.ReadFile(filepath.Join(dir, "model.onnx"))
		if err != nil {
			continue
		}
		info, err := parseProtoInfo(data)
		if err != nil {
			t.Errorf("%s: cannot parse: %v", name, err)
			continue
		}
		if !usesOnly(info, supported) {
			continue
		}
		if why := conformanceSkip(name, info); why != "" {
			skipped = append(skipped, name+": "+why)
			continue
		}
		ran = append(ran, name)
		for _, n := range info.nodes {
			covered[n.opType] = true
		}
		t.Run(name, func(t *testing.T) { runConformanceCase(t, dir, data, info) })
	}
	sort.Strings(skipped)
	t.Logf("ran %d conformance cases; skipped %d:\n%s", len(ran), len(skipped), strings.Join(skipped, "\n"))
	exempt := map[string]bool{}
	for _, op := range ops.NoConformanceData() {
		exempt[op] = true
		if covered[op] {
			t.Errorf("%s is registered with noConformanceData, but conformance cases of it ran: drop the declaration", op)
		}
	}
	for _, op := range ops.Supported() {
		if !covered[op] && !exempt[op] {
			t.Errorf("no conformance case of %s ran: make one run, or register it with noConformanceData if %s has none", op, conformanceDir)
		}
	}
	if len(ran) < 100 {
		t.Errorf("only %d conformance cases ran; the operator set or the data is incomplete", len(ran))
	}
}

// sameSince gives, for operators whose definition has not changed since an
// opset older than MinOpset, that opset: their old cases test the current
// behaviour.
var sameSince = map[string]int64{"GlobalAveragePool": 1, "GlobalMaxPool": 1, "HardSigmoid": 6,
	"Elu": 6, "InstanceNormalization": 6, "Not": 1, "Selu": 6, "Softplus": 1, "Softsign": 1}

func unchangedSince(info *protoInfo) bool {
	for _, n := range info.nodes {
		if v, ok := sameSince[n.opType]; !ok || info.opsets[""] < v {
			return false
		}
	}
	return true
}

func usesOnly(info *protoInfo, supported map[string]bool) bool {
	for _, n := range info.nodes {
		if !supported[n.opType] {
			return false
		}
	}
	return true
}

func runConformanceCase(t *testing.T, dir string, data []byte, info *protoInfo) {
	sets, _ := filepath.Glob(filepath.Join(dir, "test_data_set_*"))
	if len(sets) == 0 {
		t.Fatal("no test data sets")
	}
	readInputs := func(set string) map[string]*tensor.Tensor {
		inputs := map[string]*tensor.Tensor{}
		i := 0
		for _, in := range info.inputs {
			if info.initializer[in.Name] {
				continue
			}
			v, err := readTensorProto(filepath.Join(set, fmt.Sprintf("input_%d.pb", i)))
			if err != nil {
				t.Fatal(err)
			}
			inputs[in.Name] = v
			i++
		}
		return inputs
	}
	if v := info.opsets[""]; v < inference.MinOpset {
		data = withOpset(t, data, inference.MinOpset) // unchangedSince: the same operator there
	}
	m, err := inference.LoadBytes(filepath.Base(dir), data, inference.Options{SampleInputs: readInputs(sets[0])})
	if err != nil {
		t.Fatal(err)
	}
	for _, set := range sets {
		got, err := m.Run(context.Background(), readInputs(set))
		if err != nil {
			t.Fatal(err)
		}
		for i, o := range m.Outputs {
			want, err := readTensorProto(filepath.Join(set, fmt.Sprintf("output_%d.pb", i)))
			if err != nil {
				t.Fatal(err)
			}
			if err := compareTensors(got[o.Name], want, 1e-3, 1e-5); err != nil {
				t.Errorf("%s output %q: %v", filepath.Base(set), o.Name, err)
			}
		}
	}
}

// readTensorProto reads a TensorProto file of the conformance data. It is
// written for the test with protowire, independent of the decoder under
// test, and knows every integer type and bool (onnx-go decodes neither
// small integers nor bool raw data).
func readTensorProto(path string) (*tensor.Tensor, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var dims []int
	var dtype uint64
	var raw []byte
	var floats []float32
	var ints []int64
	var doubles []float64
	err = fields(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		switch num {
		case 1:
			return varints(typ, v, x, func(d uint64) { dims = append(dims, int(d)) })
		case 2:
			dtype = x
		case 4:
			if typ == protowire.Fixed32Type {
				floats = append(floats, math.Float32frombits(uint32(x)))
				return nil
			}
			for ; len(v) >= 4; v = v[4:] {
				floats = append(floats, math.Float32frombits(binary.LittleEndian.Uint32(v)))
			}
		case 5, 7, 11:
			return varints(typ, v, x, func(d uint64) {
				if num == 5 {
					ints = append(ints, int64(int32(d)))
				} else {
					ints = append(ints, int64(d))
				}
			})
		case 9:
			raw = v
		case 10:
			if typ == protowire.Fixed64Type {
				doubles = append(doubles, math.Float64frombits(x))
				return nil
			}
			for ; len(v) >= 8; v = v[8:] {
				doubles = append(doubles, math.Float64frombits(binary.LittleEndian.Uint64(v)))
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	n := tensor.Size(dims)
	switch dtype {
	case 1: // float
		if raw != nil {
			floats = make([]float32, n)
			for i := range floats {
				floats[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
			}
		}
		return tensor.FromFloat32(dims, floats), nil
	case 11: // double
		if raw != nil {
			doubles = make([]float64, n)
			for i := range doubles {
				doubles[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
			}
		}
		f := make([]float32, len(doubles))
		for i, d := range doubles {
			f[i] = float32(d)
		}
		return tensor.FromFloat32(dims, f), nil
	}
	size, signed := map[uint64]int{2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 12: 4, 13: 8}[dtype], dtype == 3 || dtype == 5 || dtype == 6 || dtype == 7
	if size == 0 {
		return nil, fmt.Errorf("%s: element type %d is not read by this test", path, dtype)
	}
	if raw != nil {
		ints = make([]int64, n)
		for i := range ints {
			var u uint64
			for k := size - 1; k >= 0; k-- {
				u = u<<8 | uint64(raw[size*i+k])
			}
			if signed && size < 8 && u&(1<<(8*size-1)) != 0 {
				u |= ^uint64(0) << (8 * size)
			}
			ints[i] = int64(u)
		}
	}
	return tensor.FromInt64(dims, ints), nil
}

func varints(typ protowire.Type, v []byte, x uint64, add func(uint64)) error {
	if typ == protowire.VarintType {
		add(x)
		return nil
	}
	for len(v) > 0 {
		d, n := protowire.ConsumeVarint(v)
		if n < 0 {
			return protowire.ParseError(n)
		}
		add(d)
		v = v[n:]
	}
	return nil
}

// compareTensors checks shape, dtype and values with |got-want| <= atol +
// rtol*|want|; NaNs must match NaNs.
func compareTensors(got, want *tensor.Tensor, rtol, atol float64) error {
	if got == nil {
		return fmt.Errorf("no value")
	}
	if !tensor.EqualShape(got.Shape, want.Shape) {
		return fmt.Errorf("shape %v, want %v", got.Shape, want.Shape)
	}
	if got.DType != want.DType {
		return fmt.Errorf("dtype %s, want %s", got.DType, want.DType)
	}
	g, w := got.Float64s(), want.Float64s()
	bad, worst := 0, 0.0
	first := -1
	for i := range w {
		if math.IsNaN(w[i]) && math.IsNaN(g[i]) || g[i] == w[i] {
			continue
		}
		d := math.Abs(g[i] - w[i])
		if !(d <= atol+rtol*math.Abs(w[i])) {
			bad++
			if first < 0 {
				first = i
			}
			if d > worst || math.IsNaN(d) {
				worst = d
			}
		}
	}
	if bad > 0 {
		return fmt.Errorf("%d of %d values differ (worst |diff| %g; first at %d: got %g, want %g)", bad, len(w), worst, first, g[first], w[first])
	}
	return nil
}
