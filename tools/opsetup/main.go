// Command opsetup writes an ONNX model of opset 17 or later at a later
// opset, up to 21, through package inference/onnxpb/opsetup (the ONNX
// changelog's changes of the operators it knows, as the ONNX version
// converter applies them; -gelu also writes the Erf form of GELU as the
// Gelu operator, as PyTorch's export at opset 20 does). It is not part of
// the program or its tests; README.md says how its output was checked.
//
//	go run ./tools/opsetup -opset N [-gelu] IN.onnx OUT.onnx
package main

import (
	"flag"
	"fmt"
	"os"

	"camscope/inference/onnxpb/opsetup"
)

func main() {
	to := flag.Int("opset", opsetup.MaxTo, "the opset to write")
	gelu := flag.Bool("gelu", false, "write the Erf form of GELU as the Gelu operator (opset 20 or later)")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: go run ./tools/opsetup -opset N [-gelu] IN.onnx OUT.onnx")
		os.Exit(2)
	}
	in, err := os.ReadFile(flag.Arg(0))
	if err != nil {
		fail(err)
	}
	out, err := opsetup.Upgrade(in, *to, opsetup.Options{Gelu: *gelu})
	if err != nil {
		fail(fmt.Errorf("%s: %w", flag.Arg(0), err))
	}
	if err := os.WriteFile(flag.Arg(1), out, 0o644); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "opsetup:", err)
	os.Exit(1)
}
