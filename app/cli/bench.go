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
	fs := newFlags(env, "bench", "--model FILE.onnx|FILE.tflite [--runs N] [--batch N] [--layers]")
	model := fs.String("model", "", "ONNX or TFLite model file, or "+builtinMobileNet+" or "+builtinShapes+" (required)")
	runs := fs.Int("runs", 20, "timed runs after 3 warm-up runs")
	batch := fs.Int("batch", 1, "inputs per run, stacked along the first axis (Model.RunBatch)")
	layers := fs.Bool("layers", false, "also print each layer's time (fastest and median run): where the forward pass spends it")
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
	if *layers && *batch > 1 {
		fmt.Fprintln(env.Stderr, "camscope bench: --layers times single inputs, whose layers run one after another; drop --batch or --layers")
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
	steps := &inference.StepTimes{}
	for i := 0; i < 3+*runs; i++ {
		if i == 3 {
			runtime.ReadMemStats(&before)
		}
		ctx := context.Background()
		if *layers && i >= 3 {
			ctx = inference.WithStepTimes(ctx, steps)
		}
		t0 := time.Now()
		if _, err := m.RunBatch(ctx, n, feed); err != nil {
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
		if late := m.LatePass(n); late > 0 {
			how += fmt.Sprintf(", %d through its last %d steps", late, m.LateSteps())
		}
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
	if *layers {
		printStepTimes(env, steps.Steps(), med)
	}
	return ExitOK
}

// printStepTimes prints each step's fastest and median time, and what the
// steps' medians leave of the run's median (the work between steps).
func printStepTimes(env *Env, steps []inference.StepTime, run time.Duration) {
	us := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1000 }
	var sum time.Duration
	for _, s := range steps {
		sum += s.Median()
	}
	fmt.Fprintf(env.Stdout, "\nlayers    %d steps (an activation fused into its layer is one step), in µs:\n", len(steps))
	fmt.Fprintf(env.Stdout, "%4s  %-22s %-44s %9s %9s %6s\n", "step", "operator", "node", "min", "median", "share")
	for i, s := range steps {
		name := s.Name
		if len(name) > 44 {
			name = "…" + name[len(name)-43:]
		}
		fmt.Fprintf(env.Stdout, "%4d  %-22s %-44s %9.1f %9.1f %5.1f%%\n", i, s.Op, name, us(s.Min()), us(s.Median()), 100*float64(s.Median())/float64(max(sum, 1)))
	}
	fmt.Fprintf(env.Stdout, "steps     %.2f ms the sum of their medians; the run's median %.2f ms leaves %.2f ms between steps\n",
		float64(sum.Microseconds())/1000, float64(run.Microseconds())/1000, float64((run-sum).Microseconds())/1000)
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
