package explain

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestLoadModelCancelled loads with a context already done: the load gives
// up with the context's error.
func TestLoadModelCancelled(t *testing.T) {
	path := filepath.Join(shared, "reference", "vgg_small.onnx")
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the reference data should be in ../shared next to the repository (CI has it): %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if m, err := LoadModel(ctx, path, ModelOptions{}); !errors.Is(err, context.Canceled) || m != nil {
		t.Fatalf("LoadModel with a cancelled context: %v, %v; want context.Canceled", m, err)
	}
	if _, err := LoadModel(context.Background(), path, ModelOptions{}); err != nil {
		t.Fatal(err)
	}
}
