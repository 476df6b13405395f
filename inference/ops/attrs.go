package ops

import (
	"fmt"

	"camscope/inference/tensor"
)

// Attrs are a node's attributes. Values are int64, float32, string, []int64,
// []float32, []string or *tensor.Tensor.
type Attrs map[string]any

// Int returns integer attribute name, or def when it is absent.
func (a Attrs) Int(name string, def int64) (int64, error) {
	v, ok := a[name]
	if !ok {
		return def, nil
	}
	i, ok := v.(int64)
	if !ok {
		return 0, fmt.Errorf("attribute %s: want an integer, got %T", name, v)
	}
	return i, nil
}

// Float returns float attribute name, or def when it is absent.
func (a Attrs) Float(name string, def float32) (float32, error) {
	v, ok := a[name]
	if !ok {
		return def, nil
	}
	f, ok := v.(float32)
	if !ok {
		return 0, fmt.Errorf("attribute %s: want a float, got %T", name, v)
	}
	return f, nil
}

// String returns string attribute name, or def when it is absent.
func (a Attrs) String(name string, def string) (string, error) {
	v, ok := a[name]
	if !ok {
		return def, nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("attribute %s: want a string, got %T", name, v)
	}
	return s, nil
}

// Ints returns integer-list attribute name, or def when it is absent.
func (a Attrs) Ints(name string, def []int64) ([]int64, error) {
	v, ok := a[name]
	if !ok {
		return def, nil
	}
	s, ok := v.([]int64)
	if !ok {
		return nil, fmt.Errorf("attribute %s: want a list of integers, got %T", name, v)
	}
	return s, nil
}

// Floats returns float-list attribute name, or def when it is absent.
func (a Attrs) Floats(name string, def []float32) ([]float32, error) {
	v, ok := a[name]
	if !ok {
		return def, nil
	}
	s, ok := v.([]float32)
	if !ok {
		return nil, fmt.Errorf("attribute %s: want a list of floats, got %T", name, v)
	}
	return s, nil
}

// Tensor returns tensor attribute name, or nil when it is absent.
func (a Attrs) Tensor(name string) (*tensor.Tensor, error) {
	v, ok := a[name]
	if !ok {
		return nil, nil
	}
	t, ok := v.(*tensor.Tensor)
	if !ok {
		return nil, fmt.Errorf("attribute %s: want a tensor, got %T", name, v)
	}
	return t, nil
}
