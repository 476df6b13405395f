package session

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"camscope/app/explain"
	"camscope/app/photo"
)

func TestModelCacheEvictsLeastRecentlyUsed(t *testing.T) {
	sizes := map[string]int64{"a": 40, "b": 40, "c": 40, "d": 0, "e": 0, "huge": 500}
	c := newModelCache(100, 3, func(m *explain.Model) int64 { return sizes[m.Name] })
	held := func() []string {
		var out []string
		for _, e := range c.entries {
			out = append(out, e.path)
		}
		return out
	}
	want := func(step string, paths ...string) {
		t.Helper()
		if got := held(); fmt.Sprint(got) != fmt.Sprint(paths) {
			t.Errorf("%s: cache holds %v, want %v (least recently used first)", step, got, paths)
		}
	}
	c.put("a", model("a"))
	c.put("b", model("b"))
	if _, ok := c.get("a"); !ok {
		t.Fatal("a not cached")
	}
	c.put("c", model("c")) // 120 bytes: over the budget
	want("over the memory budget", "a", "c")
	if _, ok := c.get("b"); ok {
		t.Error("b, the least recently used, is still cached")
	}
	c.put("d", model("d"))
	c.put("e", model("e")) // four models: over the count
	want("over the count", "c", "d", "e")
	c.put("huge", model("huge"))
	want("one model over the budget", "huge")
	if c.bytes != 500 {
		t.Errorf("cache counts %d bytes, want 500", c.bytes)
	}
}

// TestRunnerModelCacheBounded opens more models than the cache keeps: the
// first is loaded again, the latest is not.
func TestRunnerModelCacheBounded(t *testing.T) {
	c := newCollector()
	f := newFake().funcs()
	var mu sync.Mutex
	loads := map[string]int{}
	f.LoadModel = func(_ context.Context, path string) (*explain.Model, error) {
		mu.Lock()
		loads[path]++
		mu.Unlock()
		return model(path), nil
	}
	r := NewRunner(f, c.deliver)
	open := func(path string) {
		t.Helper()
		r.Submit(Job{ModelPaths: []string{path}})
		if o := c.next(t); o.Err != nil || len(o.Models) != 1 {
			t.Fatalf("open %s: %+v", path, o)
		}
	}
	for i := range modelCacheModels + 1 {
		open(fmt.Sprintf("m%d.onnx", i))
	}
	last := fmt.Sprintf("m%d.onnx", modelCacheModels)
	open("m0.onnx")
	open(last)
	if loads["m0.onnx"] != 2 || loads[last] != 1 {
		t.Errorf("loads %v: want m0.onnx evicted (loaded twice) and %s kept (once)", loads, last)
	}
}

// TestRunnerAbandonsStaleLoad submits a job while a slow load is in flight:
// the load stops only long after its context is done (as a load between two
// slow operators would), and the new job completes without waiting for it.
func TestRunnerAbandonsStaleLoad(t *testing.T) {
	for _, which := range []string{"model", "photo"} {
		t.Run(which, func(t *testing.T) {
			f, c := newFake(), newCollector()
			funcs := f.funcs()
			loading := make(chan struct{})
			stuck := make(chan struct{})
			defer close(stuck)
			slow := func(ctx context.Context) {
				close(loading)
				<-ctx.Done()
				<-stuck
			}
			funcs.LoadModel = func(ctx context.Context, path string) (*explain.Model, error) {
				slow(ctx)
				return nil, ctx.Err()
			}
			loadPhoto := funcs.LoadPhoto
			funcs.LoadPhoto = func(ctx context.Context, path string) (*photo.Photo, error) {
				if path == "slow.png" {
					slow(ctx)
					return nil, ctx.Err()
				}
				return loadPhoto(ctx, path)
			}
			r := NewRunner(funcs, c.deliver)
			if which == "model" {
				r.Submit(Job{PhotoPath: "old.png", ModelPaths: []string{"slow.onnx"}})
			} else {
				r.Submit(job("slow.png", "old"))
			}
			<-loading
			start := time.Now()
			gen := r.Submit(job("new.png", "new"))
			select {
			case got := <-f.started:
				if got != "new" {
					t.Fatalf("started %s", got)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the new job waits for the stale load")
			}
			took := time.Since(start)
			f.release <- struct{}{}
			o := c.next(t)
			if o.Gen != gen || o.Err != nil || o.Photo.Name != "new.png" {
				t.Fatalf("outcome %+v", o)
			}
			r.Wait()
			if c.count() != 1 {
				t.Errorf("%d outcomes, want 1", c.count())
			}
			t.Logf("the new job started %v after it was submitted", took)
		})
	}
}
