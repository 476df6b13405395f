package shareddata

import (
	"fmt"
	"strings"
	"testing"
)

// recorder is a testing.TB that keeps what Fatalf says instead of stopping.
type recorder struct {
	testing.TB
	said string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.said = fmt.Sprintf(format, args...)
}

func TestPathFindsSharedData(t *testing.T) {
	p := Path(t, "reference", "meta.json")
	if !strings.HasSuffix(p, "/shared/reference/meta.json") {
		t.Errorf("Path = %s", p)
	}
	if got := ReferenceMeta(t); len(got) < len(ReferenceModels) {
		t.Errorf("meta.json describes %d models, want the %d reference models", len(got), len(ReferenceModels))
	}
}

func TestPathMissingSaysWhereDataBelongs(t *testing.T) {
	r := &recorder{TB: t}
	Path(r, "reference", "no-such-model.onnx")
	if !strings.Contains(r.said, "shared test data missing") || !strings.Contains(r.said, "/shared/reference/no-such-model.onnx") {
		t.Errorf("missing file reported as %q", r.said)
	}
}

func TestCacheLoadsOnce(t *testing.T) {
	var c Cache[int]
	calls := 0
	load := func() (int, error) { calls++; return 7, nil }
	for range 3 {
		if v := c.Get(t, "k", load); v != 7 {
			t.Fatalf("Get = %d, want 7", v)
		}
	}
	if calls != 1 {
		t.Errorf("load called %d times, want once", calls)
	}
}
