package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var tfliteMobileNet = filepath.Join(shared, "models", "tflite", "mobilenet_v2_1.0_224_quant.tflite")

// TestTFLiteCommands: --model takes a .tflite file in explain (labels and
// preprocessing from the file, nothing beside it), run and bench; a copy
// without the extension is still read as TFLite (by its TFL3 identifier).
func TestTFLiteCommands(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, "explain", "--image", filepath.Join(shared, "images", "pets.png"), "--model", tfliteMobileNet, "--top", "2", "--out", out)
	if code != ExitOK {
		t.Fatalf("explain: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "1. Italian greyhound") || !strings.Contains(stdout, "2. Boston bull") {
		t.Errorf("explain output does not name the two dogs:\n%s", stdout)
	}
	rep := readReport(t, out)
	if rep.Model.Layer != "MobilenetV2/Conv_1/Relu6" || rep.Model.Labels != "imagenet_labels.txt inside mobilenet_v2_1.0_224_quant.tflite" ||
		!rep.Model.CAMApplies || rep.Preprocessing.Layout != "NHWC" || rep.Source.Mean != "metadata" {
		t.Errorf("report model %+v, preprocessing %+v from %+v", rep.Model, rep.Preprocessing, rep.Source)
	}

	plain := filepath.Join(t.TempDir(), "model.bin")
	data, err := os.ReadFile(tfliteMobileNet)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(plain, data, 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = runCLI(t, "run", "--model", plain, "--list")
	if code != ExitOK || !strings.Contains(stdout, "input\t[1x224x224x3]\tinput") || !strings.Contains(stdout, "MobilenetV2/Conv_1/Relu6\t[1x1280x7x7]\tConv+Clip") {
		t.Errorf("run --list: exit %d, stderr %s, list:\n%s", code, stderr, stdout)
	}
	code, stdout, stderr = runCLI(t, "bench", "--model", tfliteMobileNet, "--runs", "2")
	if code != ExitOK || !strings.Contains(stdout, "median") {
		t.Errorf("bench: exit %d, stderr %s:\n%s", code, stderr, stdout)
	}
}
