package ops

import (
	"fmt"
	"testing"

	"camscope/inference/tensor"
)

// TestNoPanics feeds every operator inputs of mismatched shapes and types,
// missing inputs and odd attributes: whatever it makes of them, it must
// return an error or a result, never panic (a model file is untrusted).
func TestNoPanics(t *testing.T) {
	samples := []*tensor.Tensor{
		nil,
		f32(nil, 2),
		tensor.New(0),
		iota32(2, 3),
		iota32(1, 2, 3, 4),
		iota32(1, 1, 1),
		i64(dims(1), -1),
		i64(dims(2), 3, 0),
		i64(dims(4), 1, 2, 2, 1),
		i64(dims(2, 2), 0, 1, 1, 0),
		tensor.New(1, 2, 0, 3),
	}
	attrSets := []Attrs{
		{},
		{"axis": int64(5), "axes": []int64{-7}, "perm": []int64{1}, "kernel_shape": []int64{2, 2}, "pads": []int64{-1, 1, 1, 1}},
		{"axis": int64(-1), "keepdims": int64(0), "kernel_shape": []int64{5}, "strides": []int64{0}, "to": int64(1), "size": int64(3)},
		{"value": tensor.New(0), "split": []int64{1, -1}, "starts": []int64{0}, "ends": []int64{-1}, "mode": "reflect", "group": int64(3)},
	}
	runs, succeeded := 0, 0
	for _, op := range Supported() {
		for ai, attrs := range attrSets {
			for _, opset := range []int{7, 11, 13, 18} {
				node := &Node{OpType: op, Opset: opset, Attrs: attrs, NumOutputs: 2}
				o, err := build(t, node)
				if err != nil {
					continue
				}
				for i, a := range samples {
					for j, b := range samples {
						for k, c := range []*tensor.Tensor{nil, samples[i], samples[j]} {
							inputs := []*tensor.Tensor{a, b, c, c}
							name := fmt.Sprintf("%s/attrs%d/opset%d/%d,%d,%d", op, ai, opset, i, j, k)
							runs++
							if runNoPanic(t, name, o, inputs) {
								succeeded++
							}
						}
					}
				}
			}
		}
	}
	t.Logf("%d runs, %d without error", runs, succeeded)
}

// build is Build, turning a panic into a test error.
func build(t *testing.T, n *Node) (op Op, err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("build %s opset %d attrs %v: panic: %v", n.OpType, n.Opset, n.Attrs, r)
			op, err = nil, fmt.Errorf("panic")
		}
	}()
	return Build(n)
}

// runNoPanic runs o, turning a panic into a test error, and reports
// whether the run succeeded.
func runNoPanic(t *testing.T, name string, o Op, inputs []*tensor.Tensor) (ok bool) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: panic: %v", name, r)
			ok = false
		}
	}()
	_, err := o.Run(NoBudget, inputs)
	return err == nil
}
