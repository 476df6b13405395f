package ops

import (
	"sync"
	"testing"

	"camscope/inference/tensor"
)

// TestConcurrentRuns runs one built operator from several goroutines at
// once (as concurrent inferences of one model do) and checks every result
// against a run made alone; with -race it also finds shared state.
func TestConcurrentRuns(t *testing.T) {
	x := iota32(1, 2, 4, 4)
	p := f32(dims(2), 1, 2)
	cases := []struct {
		c      call
		inputs []*tensor.Tensor
	}{
		{call{op: "Conv", attrs: Attrs{"pads": []int64{1, 1, 1, 1}}, consts: []*tensor.Tensor{nil, iota32(3, 2, 3, 3)}}, []*tensor.Tensor{x, iota32(3, 2, 3, 3)}},
		{call{op: "Clip", opset: 13}, []*tensor.Tensor{x, f32(nil, 2), f32(nil, 9)}},
		{call{op: "BatchNormalization", consts: []*tensor.Tensor{nil, p, p, p, p}}, []*tensor.Tensor{x, p, p, p, p}},
		{call{op: "MaxPool", attrs: Attrs{"kernel_shape": []int64{3, 3}, "pads": []int64{1, 1, 1, 1}}}, []*tensor.Tensor{x}},
		{call{op: "AveragePool", attrs: Attrs{"kernel_shape": []int64{2, 2}}}, []*tensor.Tensor{x}},
		{call{op: "Add"}, []*tensor.Tensor{x, f32(dims(2, 1, 1), 1, 2)}},
		{call{op: "Softmax"}, []*tensor.Tensor{x}},
		{call{op: "ReduceMean"}, []*tensor.Tensor{x, i64(dims(2), 2, 3)}},
		{call{op: "Pad"}, []*tensor.Tensor{x, i64(dims(8), 0, 0, 1, 1, 0, 0, 1, 1)}},
		{call{op: "Slice"}, []*tensor.Tensor{x, i64(dims(1), 1), i64(dims(1), 3), i64(dims(1), 2)}},
		{call{op: "Gemm", attrs: Attrs{"transB": int64(1)}}, []*tensor.Tensor{iota32(2, 3), iota32(4, 3), p.Reshaped([]int{2, 1})}},
		{call{op: "Constant", attrs: Attrs{"value": p}}, nil},
		{call{op: "Sigmoid"}, []*tensor.Tensor{x}},
	}
	for _, tc := range cases {
		t.Run(tc.c.op, func(t *testing.T) {
			consts := tc.c.consts
			if consts == nil {
				consts = make([]*tensor.Tensor, len(tc.inputs))
			}
			op, err := Build(&Node{OpType: tc.c.op, Opset: max(tc.c.opset, 13), Attrs: tc.c.attrs, Consts: consts, NumOutputs: 1})
			if err != nil {
				t.Fatal(err)
			}
			want, err := op.Run(NoBudget, tc.inputs)
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			errs := make([]string, 8)
			for g := range errs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range 20 {
						got, err := op.Run(NoBudget, tc.inputs)
						if err != nil {
							errs[g] = err.Error()
							return
						}
						if !sameTensor(got[0], want[0], 0) {
							errs[g] = "result differs from a run alone"
							return
						}
					}
				}()
			}
			wg.Wait()
			for _, e := range errs {
				if e != "" {
					t.Fatal(e)
				}
			}
		})
	}
}
