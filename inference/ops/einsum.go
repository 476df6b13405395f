package ops

import (
	"fmt"
	"slices"
	"strings"

	"camscope/inference/tensor"
)

func init() {
	register("Einsum", buildEinsum, differentiable)
}

// einsum is a parsed Einsum equation: per input term and for the output,
// its letters in order, with '.' standing for the ellipsis (the broadcast
// dimensions, whose number each input's rank decides).
type einsum struct {
	terms  [][]byte
	output []byte // nil: implicit (the ellipsis, then the letters used once, in alphabetical order)
}

// buildEinsum: the sum, over the letters missing from the output, of the
// product of the inputs indexed by their letters (a letter repeated within
// a term takes the diagonal). Written as one loop over every combination of
// the letters' values: Einsum in exported vision models (timm's relative
// positions, attention written as einsum) contracts small tensors.
func buildEinsum(n *Node) (Op, error) {
	eq, err := n.Attrs.String("equation", "")
	if err != nil {
		return nil, fmt.Errorf("Einsum: %w", err)
	}
	e, err := parseEinsum(eq)
	if err != nil {
		return nil, fmt.Errorf("Einsum: equation %q: %w", eq, err)
	}
	return diffFunc{opFunc(e.run), e.vjp}, nil
}

func parseEinsum(eq string) (*einsum, error) {
	eq = strings.ReplaceAll(eq, " ", "")
	lhs, rhs, explicit := strings.Cut(eq, "->")
	term := func(s string) ([]byte, error) {
		var out []byte
		ellipsis := false
		for i := 0; i < len(s); i++ {
			switch c := s[i]; {
			case strings.HasPrefix(s[i:], "..."):
				if ellipsis {
					return nil, fmt.Errorf("two ellipses in term %q", s)
				}
				ellipsis = true
				out = append(out, '.')
				i += 2
			case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
				out = append(out, c)
			default:
				return nil, fmt.Errorf("unexpected %q in term %q", c, s)
			}
		}
		return out, nil
	}
	e := &einsum{}
	used := map[byte]int{}
	for _, s := range strings.Split(lhs, ",") {
		t, err := term(s)
		if err != nil {
			return nil, err
		}
		for _, c := range t {
			used[c]++
		}
		e.terms = append(e.terms, t)
	}
	if !explicit {
		return e, nil
	}
	out, err := term(rhs)
	if err != nil {
		return nil, err
	}
	for i, c := range out {
		if c != '.' && used[c] == 0 {
			return nil, fmt.Errorf("output letter %q is in no input", c)
		}
		if slices.Contains(out[:i], c) {
			return nil, fmt.Errorf("output letter %q repeated", c)
		}
	}
	e.output = append([]byte{}, out...)
	return e, nil
}

// einsumPlan is an equation bound to input shapes: every label's size (the
// ellipsis' dimensions are labels 0..nEll-1, letters follow), and per
// input and for the output the element stride of each label (the sum of
// the strides of the dimensions it indexes, 0 for a broadcast dimension).
type einsumPlan struct {
	sizes    []int
	strides  [][]int // per input
	outShape []int
	outStr   []int
}

// maxEinsumSteps caps the combinations of label values one Einsum loops
// over (its inputs can be small and the loop huge: "i,j,k,l").
const maxEinsumSteps = 1 << 32

func (e *einsum) plan(inputs []*tensor.Tensor) (*einsumPlan, error) {
	if len(inputs) != len(e.terms) {
		return nil, fmt.Errorf("Einsum: the equation has %d inputs, the node %d", len(e.terms), len(inputs))
	}
	nEll := 0
	for i, t := range e.terms {
		x := inputs[i]
		if x == nil || x.DType != tensor.Float32 {
			return nil, fmt.Errorf("Einsum: input %d must be a float tensor, got %s", i, x)
		}
		letters := len(t)
		if slices.Contains(t, '.') {
			letters--
			if x.Rank() < letters {
				return nil, fmt.Errorf("Einsum: input %d has rank %d, its term %d letters", i, x.Rank(), letters)
			}
			nEll = max(nEll, x.Rank()-letters)
		} else if x.Rank() != letters {
			return nil, fmt.Errorf("Einsum: input %d has rank %d, its term %d letters", i, x.Rank(), letters)
		}
	}
	label := map[byte]int{}
	p := &einsumPlan{sizes: make([]int, nEll)}
	for i := range p.sizes {
		p.sizes[i] = 1
	}
	labelOf := func(c byte) int {
		if l, ok := label[c]; ok {
			return l
		}
		label[c] = len(p.sizes)
		p.sizes = append(p.sizes, 1)
		return label[c]
	}
	// dims gives, per dimension of a tensor of rank r with term t, its label.
	dims := func(t []byte, r int) []int {
		var ls []int
		for _, c := range t {
			if c == '.' {
				k := r - (len(t) - 1)
				for d := nEll - k; d < nEll; d++ {
					ls = append(ls, d)
				}
				continue
			}
			ls = append(ls, labelOf(c))
		}
		return ls
	}
	inDims := make([][]int, len(inputs))
	for i, t := range e.terms {
		inDims[i] = dims(t, inputs[i].Rank())
		for d, l := range inDims[i] {
			s := inputs[i].Shape[d]
			switch {
			case p.sizes[l] == 1:
				p.sizes[l] = s
			case s != 1 && s != p.sizes[l]:
				return nil, fmt.Errorf("Einsum: dimension %d of input %d has size %d where the equation's label has %d", d, i, s, p.sizes[l])
			}
		}
	}
	steps := 1
	for _, n := range p.sizes {
		if n != 0 && steps > maxEinsumSteps/n {
			return nil, fmt.Errorf("Einsum: the equation multiplies over %s label values, more than the %d products CAMscope computes in one operator", tensor.ShapeString(p.sizes), maxEinsumSteps)
		}
		steps *= n
	}
	var outDims []int
	if e.output != nil {
		r := len(e.output)
		if slices.Contains(e.output, '.') {
			r += nEll - 1
		} else if nEll > 0 {
			return nil, fmt.Errorf("Einsum: the inputs have broadcast dimensions the output leaves out")
		}
		outDims = dims(e.output, r)
	} else {
		count := map[byte]int{}
		for _, t := range e.terms {
			for _, c := range t {
				count[c]++
			}
		}
		for d := 0; d < nEll; d++ {
			outDims = append(outDims, d)
		}
		var once []byte
		for c, k := range count {
			if k == 1 && c != '.' {
				once = append(once, c)
			}
		}
		slices.Sort(once)
		for _, c := range once {
			outDims = append(outDims, label[c])
		}
	}
	p.strides = make([][]int, len(inputs))
	for i, ls := range inDims {
		p.strides[i] = labelStrides(ls, inputs[i].Shape, len(p.sizes))
	}
	p.outShape = make([]int, len(outDims))
	for d, l := range outDims {
		p.outShape[d] = p.sizes[l]
	}
	p.outStr = labelStrides(outDims, p.outShape, len(p.sizes))
	return p, nil
}

// labelStrides returns, per label, the element stride a step of it takes
// in a row-major tensor of that shape whose dimensions carry labels ls.
func labelStrides(ls, shape []int, nLabels int) []int {
	str := make([]int, nLabels)
	step := 1
	for d := len(shape) - 1; d >= 0; d-- {
		if shape[d] != 1 {
			str[ls[d]] += step
		}
		step *= shape[d]
	}
	return str
}

// each calls visit with the offsets into every input and the output, for
// every combination of the labels' values.
func (p *einsumPlan) each(visit func(in []int, out int)) {
	for _, s := range p.sizes {
		if s == 0 {
			return
		}
	}
	idx := make([]int, len(p.sizes))
	in := make([]int, len(p.strides))
	out := 0
	for {
		visit(in, out)
		l := len(idx) - 1
		for ; l >= 0; l-- {
			idx[l]++
			for i := range in {
				in[i] += p.strides[i][l]
			}
			out += p.outStr[l]
			if idx[l] < p.sizes[l] {
				break
			}
			for i := range in {
				in[i] -= idx[l] * p.strides[i][l]
			}
			out -= idx[l] * p.outStr[l]
			idx[l] = 0
		}
		if l < 0 {
			return
		}
	}
}

func (e *einsum) run(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	p, err := e.plan(inputs)
	if err != nil {
		return nil, err
	}
	if err := budget.checkSize("Einsum", tensor.Float32, p.outShape); err != nil {
		return nil, err
	}
	acc := make([]float64, tensor.Size(p.outShape))
	p.each(func(in []int, out int) {
		v := 1.0
		for i, x := range inputs {
			v *= float64(x.F[in[i]])
		}
		acc[out] += v
	})
	y := tensor.New(p.outShape...)
	for i, v := range acc {
		y.F[i] = float32(v)
	}
	return one(y), nil
}

// vjp: the gradient of input k gathers, over every combination of the
// labels, the output's gradient times the other inputs.
func (e *einsum) vjp(p *Pass, g *tensor.Tensor) ([]*tensor.Tensor, error) {
	plan, err := e.plan(p.Inputs)
	if err != nil {
		return nil, err
	}
	gs := make([]*tensor.Tensor, len(p.Inputs))
	for k, x := range p.Inputs {
		if !p.need(k) {
			continue
		}
		acc := make([]float64, x.Len())
		plan.each(func(in []int, out int) {
			v := float64(g.F[out])
			for i, y := range p.Inputs {
				if i != k {
					v *= float64(y.F[in[i]])
				}
			}
			acc[in[k]] += v
		})
		gs[k] = tensor.New(x.Shape...)
		for i, v := range acc {
			gs[k].F[i] = float32(v)
		}
	}
	return gs, nil
}
