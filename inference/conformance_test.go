package inference

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	onnx "github.com/owulveryck/onnx-go"

	"camscope/inference/ops"
	"camscope/inference/tensor"
)

// conformanceDir holds ONNX's own operator test cases (Debian package
// libonnx-testdata): a one-node model.onnx per case, with inputs and
// expected outputs as TensorProto files.
const conformanceDir = "/usr/share/libonnx-testdata/data/node"

// conformanceSkips lists the cases of the engine's operators that are not
// run, each with the reason. Every other case whose operators the engine
// supports must pass.
var conformanceSkips = map[string]string{}

// TestConformance runs every ONNX node test whose graph uses only operators
// the engine implements, and compares with the expected outputs.
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
		if why, ok := conformanceSkips[name]; ok {
			skipped = append(skipped, name+": "+why)
			continue
		}
		ran = append(ran, name)
		t.Run(name, func(t *testing.T) { runConformanceCase(t, dir, data) })
	}
	sort.Strings(skipped)
	t.Logf("ran %d conformance cases; skipped %d:\n%s", len(ran), len(skipped), strings.Join(skipped, "\n"))
	if len(ran) < 100 {
		t.Errorf("only %d conformance cases ran; the operator set or the data is incomplete", len(ran))
	}
}

func usesOnly(info *protoInfo, supported map[string]bool) bool {
	for _, n := range info.nodes {
		if !supported[n.opType] {
			return false
		}
	}
	return true
}

func runConformanceCase(t *testing.T, dir string, data []byte) {
	m, err := LoadBytes(filepath.Base(dir), data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	sets, _ := filepath.Glob(filepath.Join(dir, "test_data_set_*"))
	if len(sets) == 0 {
		t.Fatal("no test data sets")
	}
	for _, set := range sets {
		inputs := map[string]*tensor.Tensor{}
		for i, in := range m.Inputs {
			v, err := readTensorProto(filepath.Join(set, fmt.Sprintf("input_%d.pb", i)))
			if err != nil {
				t.Fatal(err)
			}
			inputs[in.Name] = v
		}
		got, err := m.Run(context.Background(), inputs)
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

func readTensorProto(path string) (*tensor.Tensor, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	gt, err := onnx.NewTensor(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return fromGorgonia(gt)
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
