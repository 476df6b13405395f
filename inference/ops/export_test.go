package ops

import "sort"

// The tests enumerate the registry through these; the conformance test
// (package ops_test, since it loads each case's model through package
// inference) does too.

// NoConformanceData lists, sorted, the operator types registered as having
// no case in ONNX's node test data (the engine's own operators, and those
// newer than the data).
func NoConformanceData() []string {
	var out []string
	for k, r := range registry {
		if r.traits&noConformanceData != 0 {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// Supported lists the operator types Build accepts, sorted.
func Supported() []string {
	out := make([]string, 0, len(registry))
	for k := range registry {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
