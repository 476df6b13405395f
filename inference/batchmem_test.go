package inference

import (
	"context"
	"errors"
	"math"
	"runtime"
	"slices"
	"testing"

	"camscope/inference/tensor"
)

// TestBatchMemoryLinear: what the engine allocates for a batch grows
// linearly with the batch. The array pool (tensor's minPooled) takes back
// the activations of a run, so later runs allocate what it does not keep
// (the tensors' headers, arrays under 16 values, ones past its count a
// size): from 8 to 16 items and from 16 to 32 that must grow by the same
// amount an item, and by at most five times the item's activations (each
// step's output, but for the views that share their input's array; item-by-
// item steps copy their outputs into the stacked ones).
func TestBatchMemoryLinear(t *testing.T) {
	for _, kind := range []string{"shapes", "attention"} {
		t.Run(kind, func(t *testing.T) {
			m := batchModel(t, kind)
			var item int64 // one item's activations, in bytes
			for i, s := range m.steps {
				if m.batchModes[i] == view {
					continue
				}
				for _, o := range s.outputs {
					if o != "" {
						item += 4 * int64(tensor.Size(m.shapes[o]))
					}
				}
			}
			alloc := map[int]float64{}
			for _, n := range []int{8, 16, 32} {
				if m.BatchPass(n) != n {
					t.Fatalf("a batch of %d goes %d a pass; the test wants one pass", n, m.BatchPass(n))
				}
				if got, want := m.BatchBytes(n), int64(n)*m.PeakBytes; got != want {
					t.Errorf("BatchBytes(%d) = %d, want %d (one pass of %d items of %d bytes)", n, got, want, n, m.PeakBytes)
				}
				_, x := batchInputs(t, m, n)
				in := map[string]*tensor.Tensor{m.Inputs[0].Name: x}
				const runs = 20
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				for range runs {
					if _, err := m.RunBatch(context.Background(), n, in); err != nil {
						t.Fatal(err)
					}
				}
				runtime.ReadMemStats(&after)
				alloc[n] = float64(after.TotalAlloc-before.TotalAlloc) / runs
			}
			low, high := (alloc[16]-alloc[8])/8, (alloc[32]-alloc[16])/16
			t.Logf("%s: %.0f, %.0f, %.0f bytes a run for 8, 16, 32 items: %.0f then %.0f an item (activations %d)", kind, alloc[8], alloc[16], alloc[32], low, high, item)
			if high > 1.15*low || high < 0.85*low {
				t.Errorf("an item costs %.0f bytes from 8 to 16 items and %.0f from 16 to 32: not linear", low, high)
			}
			if low <= 0 || high > 5*float64(item) {
				t.Errorf("an item costs %.0f to %.0f bytes; its activations take %d", low, high, item)
			}
		})
	}
}

// TestCheckRunKeepsOnlyWhatLoadReads: the check run at load keeps the
// graph's outputs and the tensors named to keep, and lets every other
// activation go after its last reader (all alive at once, DenseNet-121's
// took 108 MB), while it records every tensor's shape; its limit still
// counts every byte it computed, so a model is refused as before.
func TestCheckRunKeepsOnlyWhatLoadReads(t *testing.T) {
	m := batchModel(t, "cnn")
	in := map[string]*tensor.Tensor{m.Inputs[0].Name: tensor.New(m.Inputs[0].Shape...)}
	shapes := m.shapes
	m.shapes = map[string][]int{}
	defer func() { m.shapes = shapes }()
	values, err := m.run(context.Background(), in, []string{"p1"}, nil, true, 1<<30, 1)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for name := range values {
		names = append(names, name)
	}
	slices.Sort(names)
	if want := []string{"logits", "p1", "prob"}; !slices.Equal(names, want) {
		t.Errorf("the check run kept %v, want %v", names, want)
	}
	var computed int64
	for _, s := range m.steps {
		for _, o := range s.outputs {
			if !slices.Equal(m.shapes[o], shapes[o]) {
				t.Errorf("%q recorded as %v, want %v", o, m.shapes[o], shapes[o])
			}
			computed += 4 * int64(tensor.Size(shapes[o]))
		}
	}
	if _, err := m.run(context.Background(), in, nil, nil, true, computed-1, 1); !errors.Is(err, ErrTooLarge) {
		t.Errorf("a limit 1 byte under the %d bytes computed: error %v, want ErrTooLarge", computed, err)
	}
}

// TestBatchPassesRecycle: a batch of several passes copies what each pass
// returns into the stacked tensors and hands the pass's own arrays back to
// the pool, so that the next pass takes them instead of fresh memory:
// keeping an inner tensor costs a run its stacked copy, not a second
// array an item as well.
func TestBatchPassesRecycle(t *testing.T) {
	m := batchModel(t, "cnn")
	const n, runs = 8, 10
	_, x := batchInputs(t, m, n)
	in := map[string]*tensor.Tensor{m.Inputs[0].Name: x}
	// The fewest bytes a run over rounds of runs: now and then a round
	// also pays for goroutines started afresh.
	alloc := func(keep []string) float64 {
		least := math.Inf(1)
		for range 5 {
			var before, after runtime.MemStats
			for i := range 1 + runs {
				if i == 1 {
					runtime.ReadMemStats(&before)
				}
				if _, err := m.runBatch(context.Background(), n, 1, 0, in, keep); err != nil {
					t.Fatal(err)
				}
			}
			runtime.ReadMemStats(&after)
			least = min(least, float64(after.TotalAlloc-before.TotalAlloc)/runs)
		}
		return least
	}
	stacked := float64(4 * n * tensor.Size(m.shapes["s"]))
	without, with := alloc(nil), alloc([]string{"s"})
	t.Logf("%.0f bytes a run, %.0f keeping s (stacked %.0f)", without, with, stacked)
	if with-without > 1.5*stacked {
		t.Errorf("keeping s costs a run %.0f bytes; its stacked copy takes %.0f", with-without, stacked)
	}
}
