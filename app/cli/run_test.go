package cli

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"camscope/inference/npy"
)

// TestRunCommand runs resnet18 on the reference input and checks the written
// logits and feature map against PyTorch's.
func TestRunCommand(t *testing.T) {
	out := t.TempDir()
	feat := "/layer4/layer4.1/relu_1/Relu_output_0"
	code, stdout, stderr := runCLI(t, "run", "--model", filepath.Join(shared, "reference", "resnet18.onnx"),
		"--input", filepath.Join(shared, "reference", "input.npy"), "--tensor", feat, "--out", out)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for file, ref := range map[string]string{"logits.npy": "resnet18_logits.npy", FileName(feat) + ".npy": "resnet18_feat.npy"} {
		got, err := npy.ReadFile(filepath.Join(out, file))
		if err != nil {
			t.Fatalf("%v (stdout %s)", err, stdout)
		}
		want, err := npy.ReadFile(filepath.Join(shared, "reference", ref))
		if err != nil {
			t.Fatal(err)
		}
		worst, scale := 0.0, 0.0
		for i := range want.F {
			worst = math.Max(worst, math.Abs(float64(got.F[i]-want.F[i])))
			scale = math.Max(scale, math.Abs(float64(want.F[i])))
		}
		if len(got.F) != len(want.F) || worst > 1e-4*scale {
			t.Errorf("%s differs from PyTorch by %g (scale %g)", file, worst, scale)
		}
	}
	if FileName(feat) != "layer4_layer4.1_relu_1_Relu_output_0" {
		t.Errorf("FileName(%q) = %q", feat, FileName(feat))
	}
}

func TestRunList(t *testing.T) {
	code, stdout, stderr := runCLI(t, "run", "--model", filepath.Join(shared, "models", "mobilenet_v1_0.25_128.onnx"), "--list")
	if code != ExitOK || !strings.Contains(stdout, "features\t[1x256x4x4]\tConv+Clip") || !strings.Contains(stdout, "input\t[1x3x128x128]\tinput") {
		t.Errorf("exit %d, stderr %s, list:\n%s", code, stderr, stdout)
	}
}

func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.npy")
	if err := os.WriteFile(bad, []byte("not numpy"), 0o644); err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(shared, "reference", "resnet18.onnx")
	cases := map[string]struct {
		args []string
		code int
		says string
	}{
		"no model":       {[]string{"--input", bad, "--out", dir}, ExitUsage, "--model is required"},
		"bad npy":        {[]string{"--model", model, "--input", bad, "--out", dir}, ExitFailed, "bad.npy"},
		"wrong shape":    {[]string{"--model", filepath.Join(shared, "models", "mobilenet_v1_0.25_128.onnx"), "--input", filepath.Join(shared, "reference", "input.npy"), "--out", dir}, ExitFailed, "expects float32[1x3x128x128]"},
		"unknown tensor": {[]string{"--model", model, "--input", filepath.Join(shared, "reference", "input.npy"), "--tensor", "nope", "--out", dir}, ExitFailed, `no tensor named "nope"`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := runCLI(t, append([]string{"run"}, c.args...)...)
			if code != c.code || !strings.Contains(stderr, c.says) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, c.code, c.says)
			}
		})
	}
}

func TestBenchCommand(t *testing.T) {
	code, stdout, stderr := runCLI(t, "bench", "--model", filepath.Join(shared, "models", "mobilenet_v1_0.25_128.onnx"), "--runs", "2")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"median", "images/s", "GFLOP/s", "peak RSS"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("bench output lacks %q:\n%s", want, stdout)
		}
	}
}

// TestBenchLayers: bench --layers prints one row per step of the model,
// each step's fastest run no slower than its median, and refuses a batch
// (whose passes overlap).
func TestBenchLayers(t *testing.T) {
	model := filepath.Join(shared, "models", "mobilenet_v1_0.25_128.onnx")
	code, stdout, stderr := runCLI(t, "bench", "--model", model, "--runs", "3", "--layers")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var steps, rows int
	if _, err := fmt.Sscanf(stdout[strings.Index(stdout, "layers    "):], "layers    %d steps", &steps); err != nil {
		t.Fatalf("no layers header: %v\n%s", err, stdout)
	}
	for _, line := range strings.Split(stdout, "\n") {
		var i int
		var op, node string
		var lo, mid float64
		if n, _ := fmt.Sscanf(line, "%d %s %s %f %f", &i, &op, &node, &lo, &mid); n != 5 {
			continue
		}
		if i != rows || lo > mid || lo <= 0 {
			t.Errorf("row %d: %q", rows, line)
		}
		rows++
	}
	// MobileNetV1: 14 convolutions with their activations, the pooling,
	// the classifier's convolution, reshapes and the softmax.
	if rows != steps || steps < 15 {
		t.Errorf("%d rows for %d steps:\n%s", rows, steps, stdout)
	}
	code, _, stderr = runCLI(t, "bench", "--model", model, "--batch", "2", "--layers")
	if code != ExitUsage || !strings.Contains(stderr, "drop --batch or --layers") {
		t.Errorf("bench --batch 2 --layers: exit %d, %s", code, stderr)
	}
}

// TestBenchBatch: bench --batch N runs N stacked inputs a run (this small
// model's tensors let 2 go through the graph at once, under
// batchPassBytes) and says so, with the memory of the 2 inputs and their
// activations (2 x 3 x 128 x 128 floats, and 2 times one input's);
// a batch over the memory limit is refused before anything is allocated;
// ResNet-18's late steps, several items a pass, are named.
func TestBenchBatch(t *testing.T) {
	model := filepath.Join(shared, "models", "mobilenet_v1_0.25_128.onnx")
	code, stdout, stderr := runCLI(t, "bench", "--model", model, "--runs", "2", "--batch", "2")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"batch     2 inputs a run (2 stacked a pass through the graph", "images/s",
		"activations at most 0.8 MB (0.4 MB an input), inputs 0.4 MB, allocated "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("bench --batch 2 output lacks %q:\n%s", want, stdout)
		}
	}
	// ResNet-18 passes its batches one input at a time through the graph
	// but for its last 17 steps (layer3 on: Model.LatePass).
	resnet := filepath.Join(shared, "reference", "resnet18.onnx")
	code, stdout, stderr = runCLI(t, "bench", "--model", resnet, "--runs", "1", "--batch", "4")
	if code != ExitOK || !strings.Contains(stdout, "(1 stacked a pass through the graph, ") || !strings.Contains(stdout, " through its last 17 steps;") {
		t.Errorf("bench --batch 4 of ResNet-18: exit %d, %s\n%s", code, stderr, stdout)
	}
	code, _, stderr = runCLI(t, "bench", "--model", model, "--batch", "1000000")
	if code != ExitFailed || !strings.Contains(stderr, "a batch of 1000000 needs about") || !strings.Contains(stderr, "inputs at a time") {
		t.Errorf("bench --batch 1000000: exit %d, %s", code, stderr)
	}
}
