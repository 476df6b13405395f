package faithfulness

import (
	"context"
	"fmt"
	"hash/maphash"
	"sync"
	"unsafe"

	"camscope/inference"
	"camscope/inference/cam"
	"camscope/inference/tensor"
)

// Scorer gives the model's probability of class k (the softmax of its
// logits) for each input, in order. Each input has the model's input
// shape (batch 1).
type Scorer func(ctx context.Context, inputs []*tensor.Tensor, k int) ([]float64, error)

// Runs is the Scorer that runs m on the inputs and reads the logits
// tensor (cam.Head.Logits): workers runs go on at once (sharing the cores
// where that pays: Model.ShareCores), each a batch of as many inputs as
// the engine stacks in one pass (Model.BatchPass: several for a model of
// small tensors such as a ViT, one for a CNN at 224, whose layers gain
// nothing from stacking). A batch's items are bit for bit their single
// runs, so the scores do not depend on how the inputs were grouped.
func Runs(m *inference.Model, logits string, workers int) Scorer {
	return func(ctx context.Context, inputs []*tensor.Tensor, k int) ([]float64, error) {
		if len(m.Inputs) != 1 {
			return nil, fmt.Errorf("%s has %d inputs; the metrics need a model with one image input", m.Name, len(m.Inputs))
		}
		pass := m.BatchPass(len(inputs))
		out := make([]float64, len(inputs))
		errs := make([]error, len(inputs))
		next := make(chan int)
		var wg sync.WaitGroup
		w := min(max(workers, 1), (len(inputs)+pass-1)/pass)
		defer m.ShareCores(w)()
		for range w {
			wg.Go(func() {
				for first := range next {
					last := min(first+pass, len(inputs))
					errs[first] = probs(ctx, m, logits, inputs[first:last], k, out[first:last])
				}
			})
		}
		for first := 0; first < len(inputs); first += pass {
			next <- first
		}
		close(next)
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return nil, err
			}
		}
		return out, nil
	}
}

// probs runs m on the inputs, stacked into one batch, and writes the
// softmax of class k of each one's logits to out.
func probs(ctx context.Context, m *inference.Model, logits string, inputs []*tensor.Tensor, k int, out []float64) error {
	x, err := inference.Stack(inputs...)
	if err != nil {
		return err
	}
	n := len(inputs)
	res, err := m.RunBatch(ctx, n, map[string]*tensor.Tensor{m.Inputs[0].Name: x}, logits)
	if err != nil {
		return err
	}
	l := res[logits]
	if l == nil {
		return fmt.Errorf("the model %s gave no tensor %q", m.Name, logits)
	}
	classes := len(l.F) / n
	if k < 0 || k >= classes {
		return fmt.Errorf("class %d does not exist: the model %s gives %d logits", k, m.Name, classes)
	}
	for i := range out {
		out[i] = cam.Softmax(l.F[i*classes : (i+1)*classes])[k]
	}
	return nil
}

// Photo is one input with its target class: what every metric of every
// map of this input shares. Its methods may be called from several
// goroutines at once.
type Photo struct {
	X     *tensor.Tensor // the preprocessed input, [1,C,H,W] (or [1,H,W,C] with NHWC)
	NHWC  bool
	Class int     // the target class k
	Prob  float64 // p_k(X), the model's probability of k for the input as given

	w, h, c int
	score   Scorer
	seed    maphash.Seed

	mu      sync.Mutex
	cache   map[uint64]float64 // p_k of each input run, by its contents' hash
	passes  int
	blurred *tensor.Tensor
}

// NewPhoto runs the model once on x for class k through score.
func NewPhoto(ctx context.Context, score Scorer, x *tensor.Tensor, nhwc bool, k int) (*Photo, error) {
	if x == nil || x.DType != tensor.Float32 || len(x.Shape) != 4 || x.Shape[0] != 1 {
		return nil, fmt.Errorf("the metrics need an image input tensor [1,C,H,W] or [1,H,W,C], not %v", x)
	}
	p := &Photo{X: x, NHWC: nhwc, Class: k, score: score, seed: maphash.MakeSeed(), cache: map[uint64]float64{}}
	p.c, p.h, p.w = x.Shape[1], x.Shape[2], x.Shape[3]
	if nhwc {
		p.h, p.w, p.c = x.Shape[1], x.Shape[2], x.Shape[3]
	}
	if p.w < 1 || p.h < 1 || p.c < 1 {
		return nil, fmt.Errorf("the input tensor %v holds no pixels", x)
	}
	if k < 0 {
		return nil, fmt.Errorf("the target class must be 0 or more, not %d", k)
	}
	probs, err := p.probs(ctx, []*tensor.Tensor{x})
	if err != nil {
		return nil, err
	}
	p.Prob = probs[0]
	return p, nil
}

// Passes is the number of distinct inputs run for this photo so far: the
// forward passes, unless two goroutines asked for one input at once.
func (p *Photo) Passes() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.passes
}

// index is where channel c of pixel i (row-major) lies in X.F.
func (p *Photo) index(c, i int) int {
	if p.NHWC {
		return i*p.c + c
	}
	return c*p.w*p.h + i
}

// key hashes an input's values.
func (p *Photo) key(x *tensor.Tensor) uint64 {
	if len(x.F) == 0 {
		return maphash.Bytes(p.seed, nil)
	}
	return maphash.Bytes(p.seed, unsafe.Slice((*byte)(unsafe.Pointer(&x.F[0])), 4*len(x.F)))
}

// probs gives p_k of each input, running the scorer once on those not
// run before (each distinct one once).
func (p *Photo) probs(ctx context.Context, inputs []*tensor.Tensor) ([]float64, error) {
	keys := make([]uint64, len(inputs))
	var todo []*tensor.Tensor
	var todoKeys []uint64
	seen := map[uint64]bool{}
	p.mu.Lock()
	for i, x := range inputs {
		keys[i] = p.key(x)
		if _, ok := p.cache[keys[i]]; !ok && !seen[keys[i]] {
			seen[keys[i]] = true
			todo = append(todo, x)
			todoKeys = append(todoKeys, keys[i])
		}
	}
	p.mu.Unlock()
	if len(todo) > 0 {
		got, err := p.score(ctx, todo, p.Class)
		if err != nil {
			return nil, err
		}
		if len(got) != len(todo) {
			return nil, fmt.Errorf("the scorer gave %d probabilities for %d inputs", len(got), len(todo))
		}
		p.mu.Lock()
		for i, v := range got {
			if _, ok := p.cache[todoKeys[i]]; !ok {
				p.cache[todoKeys[i]] = v
				p.passes++
			}
		}
		p.mu.Unlock()
	}
	out := make([]float64, len(inputs))
	p.mu.Lock()
	for i, k := range keys {
		out[i] = p.cache[k]
	}
	p.mu.Unlock()
	return out, nil
}

// blend returns the input whose pixel i is X's where keep[i] and base's
// (a tensor like X; nil for zeros) elsewhere.
func (p *Photo) blend(keep []bool, base *tensor.Tensor) *tensor.Tensor {
	out := tensor.New(p.X.Shape...)
	for i, k := range keep {
		for c := range p.c {
			j := p.index(c, i)
			switch {
			case k:
				out.F[j] = p.X.F[j]
			case base != nil:
				out.F[j] = base.F[j]
			}
		}
	}
	return out
}
