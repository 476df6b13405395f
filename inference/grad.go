package inference

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"camscope/inference/kernels"
	"camscope/inference/ops"
	"camscope/inference/tensor"
)

// Tape is one forward pass recorded for reverse-mode differentiation of
// tensor To with respect to tensor Wrt (and the other tensors of WrtAll):
// the steps on the paths between them and the values they read and wrote.
// It is immutable once made, so several BackwardAll calls (one per class,
// say) may run at once.
type Tape struct {
	Wrt, To string
	// WrtAll are the tensors one backward pass gives the gradient at
	// (BackwardAll), Wrt first.
	WrtAll []string

	m      *Model
	steps  []*step                   // on a path from a tensor of WrtAll to To, in execution order
	varies map[string]bool           // tensors that depend on WrtAll (WrtAll included)
	values map[string]*tensor.Tensor // every tensor the steps read or write
	fixed  map[uintptr]bool          // the arrays of values and constants: never recycled
}

// ErrNoGradient is wrapped by the errors of ForwardAll and BackwardAll when
// a gradient cannot be computed between the chosen tensors.
var ErrNoGradient = errors.New("no gradient")

// gradPath returns the steps on paths from any tensor of wrt to to, in
// execution order, and the set of tensors that depend on wrt along them.
func (m *Model) gradPath(wrt []string, to string) ([]*step, map[string]bool, error) {
	for _, name := range append([]string{to}, wrt...) {
		if _, ok := m.shapes[name]; !ok {
			return nil, nil, fmt.Errorf("%w: the graph has no tensor named %q (list them with 'camscope run --list')", ErrNoGradient, name)
		}
	}
	varies := map[string]bool{}
	for _, w := range wrt {
		if m.consts[w] != nil {
			return nil, nil, fmt.Errorf("%w: %q is a constant of the model, not computed from the image; pick a layer computed from the input", ErrNoGradient, w)
		}
		if varies[w] {
			return nil, nil, fmt.Errorf("%w: %q is named twice", ErrNoGradient, w)
		}
		varies[w] = true
	}
	var forward []*step
	for _, s := range m.steps {
		hit := false
		for _, in := range s.inputs {
			if in != "" && varies[in] {
				hit = true
			}
		}
		if !hit {
			continue
		}
		forward = append(forward, s)
		for _, o := range s.outputs {
			if o != "" {
				varies[o] = true
			}
		}
	}
	if !varies[to] {
		return nil, nil, fmt.Errorf("%w: %q does not depend on %q; pick a layer before it", ErrNoGradient, to, strings.Join(wrt, `", "`))
	}
	needed := map[string]bool{to: true}
	var path []*step
	for i := len(forward) - 1; i >= 0; i-- {
		s := forward[i]
		used := false
		for _, o := range s.outputs {
			if o != "" && needed[o] {
				used = true
			}
		}
		if !used {
			continue
		}
		path = append(path, s)
		for _, in := range s.inputs {
			if in != "" && varies[in] {
				needed[in] = true
			}
		}
	}
	for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
		path[i], path[j] = path[j], path[i]
	}
	for _, s := range path {
		if _, ok := s.op.(ops.Differentiable); !ok {
			return nil, nil, fmt.Errorf("%w: Grad-CAM cannot go back through operator %s (node %q); pick a layer after it", ErrNoGradient, s.opType, s.name)
		}
	}
	return path, varies, nil
}

// ForwardAll runs the model like Run (returning the graph outputs, each
// tensor named in keep, each tensor of wrt and to) and records what the
// backward pass from to to the tensors of wrt needs: one backward pass of
// its tape (BackwardAll) gives the gradient at each tensor of wrt, which
// must not be empty nor repeat. Where one of them depends on another, the
// earlier one's gradient is the whole gradient, through the later one too.
func (m *Model) ForwardAll(ctx context.Context, inputs map[string]*tensor.Tensor, wrt []string, to string, keep ...string) (*Tape, map[string]*tensor.Tensor, error) {
	if len(wrt) == 0 {
		return nil, nil, fmt.Errorf("%s: %w: no tensor to differentiate with respect to", m.Name, ErrNoGradient)
	}
	path, varies, err := m.gradPath(wrt, to)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", m.Name, err)
	}
	seen := map[string]bool{}
	all := append([]string(nil), keep...)
	for _, k := range keep {
		seen[k] = true
	}
	add := func(name string) {
		if name != "" && !seen[name] && m.consts[name] == nil {
			seen[name] = true
			all = append(all, name)
		}
	}
	for _, w := range wrt {
		add(w)
	}
	add(to)
	for _, s := range path {
		for _, in := range s.inputs {
			add(in)
		}
		for _, o := range s.outputs {
			if _, ok := m.shapes[o]; ok {
				add(o)
			}
		}
	}
	values, err := m.Run(ctx, inputs, all...)
	if err != nil {
		return nil, nil, err
	}
	tape := &Tape{Wrt: wrt[0], To: to, WrtAll: wrt, m: m, steps: path, varies: varies, values: map[string]*tensor.Tensor{}}
	tape.fixed = maps.Clone(m.constArrays)
	for _, name := range all {
		tape.values[name] = values[name]
		tape.fixed[tensor.ArrayID(values[name])] = true
	}
	out := make(map[string]*tensor.Tensor, len(m.Outputs)+len(keep)+2)
	for _, o := range m.Outputs {
		out[o.Name] = values[o.Name]
	}
	for _, k := range keep {
		out[k] = values[k]
	}
	for _, w := range wrt {
		out[w] = values[w]
	}
	out[to] = values[to]
	return tape, out, nil
}

// value returns a recorded tensor or a constant.
func (t *Tape) value(name string) *tensor.Tensor {
	if v, ok := t.values[name]; ok {
		return v
	}
	return t.m.consts[name]
}

// BackwardAll returns, from one pass, the gradient at each tensor of
// WrtAll, in its order, of the scalar whose gradient with respect to To is
// seed (for one logit: a one-hot seed). It stops early, with ctx's error,
// when ctx is cancelled (a backward pass from the logits to an early layer
// runs over most of the network).
func (t *Tape) BackwardAll(ctx context.Context, seed *tensor.Tensor) ([]*tensor.Tensor, error) {
	toShape := t.m.shapes[t.To]
	if seed == nil || seed.DType != tensor.Float32 || !tensor.EqualShape(seed.Shape, toShape) {
		return nil, fmt.Errorf("%s: %w: the seed gradient must be float32%s like %q", t.m.Name, ErrNoGradient, tensor.ShapeString(toShape), t.To)
	}
	b := backward{tape: t, grads: map[string]*tensor.Tensor{t.To: seed}, lows: map[string]*ops.LowRank{}, seed: tensor.ArrayID(seed)}
	grads, lows := b.grads, b.lows
	for i := len(t.steps) - 1; i >= 0; i-- {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		s := t.steps[i]
		gOuts := make([]*tensor.Tensor, len(s.outputs))
		lOuts := make([]*ops.LowRank, len(s.outputs))
		some := false
		for j, o := range s.outputs {
			if o == "" {
				continue
			}
			if grads[o] != nil {
				gOuts[j], some = grads[o], true
			}
			if lows[o] != nil {
				lOuts[j], some = lows[o], true
			}
		}
		if !some {
			continue
		}
		p := &ops.Pass{Inputs: make([]*tensor.Tensor, len(s.inputs)), Need: make([]bool, len(s.inputs))}
		for j, in := range s.inputs {
			if in != "" {
				p.Inputs[j], p.Need[j] = t.value(in), t.varies[in]
			}
		}
		p.Outputs = make([]*tensor.Tensor, len(s.outputs))
		for j, o := range s.outputs {
			if o != "" {
				p.Outputs[j] = t.value(o)
			}
		}
		gIn, lIn, err := ops.VJPLow(s.opType, s.op, p, gOuts, lOuts)
		if err != nil {
			return nil, fmt.Errorf("%s: %w: node %q: %w", t.m.Name, ErrNoGradient, s.name, err)
		}
		for _, o := range s.outputs {
			if slices.Contains(t.WrtAll, o) {
				continue
			}
			delete(lows, o)
			if g := grads[o]; g != nil {
				delete(grads, o)
				b.dead = append(b.dead, g)
			}
		}
		for j, l := range lIn {
			if l != nil && p.Need[j] {
				lows[s.inputs[j]] = lows[s.inputs[j]].Concat(l)
			}
		}
		for j, g := range gIn {
			if g == nil || !p.Need[j] {
				if g != nil {
					b.dead = append(b.dead, g)
				}
				continue
			}
			name := s.inputs[j]
			if grads[name] != nil {
				g = b.add(name, g, gIn[j+1:])
			}
			grads[name] = g
		}
		b.recycle()
	}
	out := make([]*tensor.Tensor, len(t.WrtAll))
	handed := map[string]bool{}
	for i, w := range t.WrtAll {
		switch g := grads[w]; {
		case g == nil:
			out[i] = tensor.New(t.m.shapes[w]...)
		case cap(g.F) == len(g.F) && b.owned(g, w, nil):
			// The pass's own array, which nothing else refers to: handed
			// over rather than copied.
			out[i], handed[w] = g, true
		default:
			out[i] = g.Clone()
		}
		if l := lows[w]; l != nil {
			l.AddTo(out[i].F)
		}
	}
	for name, g := range grads {
		delete(grads, name)
		if !handed[name] {
			b.dead = append(b.dead, g)
		}
	}
	b.recycle()
	return out, nil
}

// backward is the state of one backward pass: the gradients still to be
// passed back, by tensor name, and those no longer needed, whose arrays go
// back to tensor's pool (about a third of a vision transformer's backward
// pass was allocating and clearing fresh gradient arrays) unless something
// still refers to them.
type backward struct {
	tape  *Tape
	grads map[string]*tensor.Tensor
	lows  map[string]*ops.LowRank // low-rank parts, added to grads' (ops.VJPLow)
	dead  []*tensor.Tensor
	seed  uintptr // the caller's array: never recycled
}

// owned reports whether the array behind g belongs to this backward pass
// alone: neither a value of the tape, a constant, the caller's seed, nor
// shared with a live gradient (but the one of tensor self) or with one of
// pending (gradients returned by the current step and not yet stored).
func (b *backward) owned(g *tensor.Tensor, self string, pending []*tensor.Tensor) bool {
	id := tensor.ArrayID(g)
	if id == 0 || id == b.seed || b.tape.fixed[id] {
		return false
	}
	for name, v := range b.grads {
		if name != self && tensor.ArrayID(v) == id {
			return false
		}
	}
	for _, v := range pending {
		if v != nil && tensor.ArrayID(v) == id {
			return false
		}
	}
	return true
}

// add returns prev+g, prev being the gradient of tensor name so far: the
// sum of two gradients of one tensor (a residual
// connection's), over the spans where they are nonzero (after a vision
// transformer's class token is picked: that token's row). It adds g into
// prev's array when that array is the pass's alone and spans it, and into
// a new array otherwise; pending are the current step's gradients not yet
// stored.
func (b *backward) add(name string, g *tensor.Tensor, pending []*tensor.Tensor) *tensor.Tensor {
	prev := b.grads[name]
	if tensor.ArrayID(prev) != tensor.ArrayID(g) && cap(prev.F) == len(prev.F) && b.owned(prev, name, pending) {
		lo, hi := tensor.NonzeroSpan(g.F)
		kernels.Add(prev.F[lo:hi], prev.F[lo:hi], g.F[lo:hi])
		b.dead = append(b.dead, g)
		return prev
	}
	out := tensor.New(prev.Shape...)
	lo, hi := tensor.NonzeroSpan(prev.F)
	copy(out.F[lo:hi], prev.F[lo:hi])
	lo, hi = tensor.NonzeroSpan(g.F)
	kernels.Add(out.F[lo:hi], out.F[lo:hi], g.F[lo:hi])
	b.dead = append(b.dead, prev, g)
	return out
}

// recycle hands the arrays of the dead gradients back to tensor's pool,
// each once, unless something still refers to them.
func (b *backward) recycle() {
	var done []uintptr
	for _, g := range b.dead {
		id := tensor.ArrayID(g)
		if slices.Contains(done, id) || !b.owned(g, "", nil) {
			continue
		}
		done = append(done, id)
		for _, v := range b.dead {
			if tensor.ArrayID(v) == id && cap(v.F) == len(v.F) {
				tensor.Recycle(v)
				break
			}
		}
	}
	clear(b.dead)
	b.dead = b.dead[:0]
}

// GradsOfLogit returns the gradient of element k of To (logit k of a
// [1,K] or [1,K,1,1] logits tensor) at each tensor of WrtAll, in its
// order, from one backward pass.
func (t *Tape) GradsOfLogit(k int) ([]*tensor.Tensor, error) {
	shape := t.m.shapes[t.To]
	n := tensor.Size(shape)
	if k < 0 || k >= n {
		return nil, fmt.Errorf("%s: class %d is out of range: %q has %d values", t.m.Name, k, t.To, n)
	}
	seed := tensor.New(shape...)
	seed.F[k] = 1
	return t.BackwardAll(context.Background(), seed)
}

// GradsOfLogits is GradsOfLogit for several classes (the top five a map
// is asked for, say): result i is class ks[i]'s. It checks every class
// before the first pass, and runs one backward pass per class, one after
// the other: taking all the classes through each step together (the class
// one more dimension of every gradient, each product by the weights one
// matrix product for them all) measured no faster on vit_tiny, whose
// largest product, the attention's input gradient, runs at the kernels'
// full speed at 197 rows already, and whose five classes' dense gradients
// of the attention no longer stay in the cache that one class's do.
func (t *Tape) GradsOfLogits(ks []int) ([][]*tensor.Tensor, error) {
	n := tensor.Size(t.m.shapes[t.To])
	for _, k := range ks {
		if k < 0 || k >= n {
			return nil, fmt.Errorf("%s: class %d is out of range: %q has %d values", t.m.Name, k, t.To, n)
		}
	}
	out := make([][]*tensor.Tensor, len(ks))
	for i, k := range ks {
		var err error
		if out[i], err = t.GradsOfLogit(k); err != nil {
			return nil, err
		}
	}
	return out, nil
}
