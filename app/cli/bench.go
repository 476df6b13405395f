package cli

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"syscall"
	"time"

	"camscope/inference"
	"camscope/inference/tensor"
)

func init() {
	register(&command{
		name:    "bench",
		summary: "time a model's forward pass, or a batch of N (median after warm-up), images per second, GFLOP/s and peak memory",
		run:     benchCmd,
	})
}

func benchCmd(env *Env, args []string) int {
	fs := newFlags(env, "bench", "--model FILE.onnx|FILE.tflite [--runs N] [--batch N]")
	model := fs.String("model", "", "ONNX or TFLite model file, or "+builtinMobileNet+" or "+builtinShapes+" (required)")
	runs := fs.Int("runs", 20, "timed runs after 3 warm-up runs")
	batch := fs.Int("batch", 1, "inputs per run, stacked along the first axis (Model.RunBatch)")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if *model == "" || *runs < 1 {
		fmt.Fprintln(env.Stderr, "camscope bench: --model is required and --runs must be at least 1")
		return ExitUsage
	}
	if *batch < 1 {
		fmt.Fprintf(env.Stderr, "camscope bench: --batch %d: a batch holds at least 1 input\n", *batch)
		return ExitUsage
	}
	start := time.Now()
	m, err := loadEngine(*model, inference.Options{})
	if err != nil {
		fmt.Fprintln(env.Stderr, "camscope bench:", err)
		return ExitFailed
	}
	loadTime := time.Since(start)
	if err := m.CheckBatch(*batch); err != nil {
		fmt.Fprintf(env.Stderr, "camscope bench: %s: %v\n", m.Name, err)
		return ExitFailed
	}
	feed := map[string]*tensor.Tensor{}
	rng := rand.New(rand.NewPCG(1, 2))
	n := *batch
	for _, in := range m.Inputs {
		shape := slices.Clone(in.Shape)
		if len(shape) > 0 {
			shape[0] *= n
		}
		t := tensor.New(shape...)
		if in.DType == tensor.Int64 {
			t = tensor.NewInt64(shape...)
		}
		for i := range t.F {
			t.F[i] = rng.Float32()*2 - 1
		}
		feed[in.Name] = t
	}
	times := make([]time.Duration, 0, *runs)
	var before, after runtime.MemStats
	for i := 0; i < 3+*runs; i++ {
		if i == 3 {
			runtime.ReadMemStats(&before)
		}
		t0 := time.Now()
		if _, err := m.RunBatch(context.Background(), n, feed); err != nil {
			fmt.Fprintln(env.Stderr, "camscope bench:", err)
			return ExitFailed
		}
		if i >= 3 {
			times = append(times, time.Since(t0))
		}
	}
	runtime.ReadMemStats(&after)
	slices.Sort(times)
	med := times[len(times)/2]
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	flops := m.FLOPs()
	fmt.Fprintf(env.Stdout, "model     %s (%d nodes, opset %d)\n", m.Name, m.NumNodes(), m.Opset)
	fmt.Fprintf(env.Stdout, "threads   %d\n", runtime.GOMAXPROCS(0))
	fmt.Fprintf(env.Stdout, "load      %.1f ms\n", ms(loadTime))
	if n > 1 {
		how := fmt.Sprintf("%d stacked a pass through the graph", m.BatchPass(n))
		if note := m.BatchNote(); note != "" {
			how = "one a pass: " + note
		}
		fmt.Fprintf(env.Stdout, "batch     %d inputs a run (%s; at most %d in the memory limit)\n", n, how, m.MaxBatch())
	}
	fmt.Fprintf(env.Stdout, "median    %.2f ms   (min %.2f ms, max %.2f ms, %d runs)\n", ms(med), ms(times[0]), ms(times[len(times)-1]), len(times))
	fmt.Fprintf(env.Stdout, "speed     %.1f images/s\n", float64(n)/med.Seconds())
	fmt.Fprintf(env.Stdout, "compute   %.2f GFLOP per input, %.1f GFLOP/s\n", float64(flops)/1e9, float64(n)*float64(flops)/med.Seconds()/1e9)
	var inBytes int64
	for _, t := range feed {
		inBytes += int64(4*len(t.F) + 8*len(t.I))
	}
	mb := func(b int64) float64 { return float64(b) / 1e6 }
	fmt.Fprintf(env.Stdout, "memory    weights %.1f MB, activations at most %.1f MB (%.1f MB an input), inputs %.1f MB, allocated %.1f MB a run, peak RSS %.1f MB\n",
		mb(m.WeightBytes), mb(m.BatchBytes(n)), mb(m.PeakBytes), mb(inBytes), mb(int64(after.TotalAlloc-before.TotalAlloc)/int64(*runs)), mb(peakRSS()))
	return ExitOK
}

// peakRSS is the process's peak resident set size in bytes (Linux reports
// it in KiB).
func peakRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Maxrss * 1024
}
