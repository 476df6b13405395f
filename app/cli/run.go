package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"camscope/app/atomicfile"
	"camscope/app/cliflag"
	"camscope/inference"
	"camscope/inference/npy"
	"camscope/inference/tensor"
)

func init() {
	register(&command{
		name:    "run",
		summary: "run a model on a raw .npy tensor and write its outputs and chosen inner tensors as .npy",
		run:     runCmd,
	})
}

func runCmd(env *Env, args []string) int {
	fs := newFlags(env, "run", "--model FILE.onnx|FILE.tflite --input x.npy [--tensor NAME]... --out DIR | --model FILE --list")
	model := fs.String("model", "", "ONNX or TFLite model file, or "+builtinMobileNet+" or "+builtinShapes+" (required)")
	input := fs.String("input", "", "input tensor as .npy, float32, in the model's input shape")
	out := fs.String("out", "", "folder for the .npy results (created if missing)")
	list := fs.Bool("list", false, "list the graph's tensors with their shapes and exit")
	var tensors cliflag.Strings
	fs.Var(&tensors, "tensor", "an inner tensor to write too (repeatable)")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if *model == "" {
		fmt.Fprintln(env.Stderr, "camscope run: --model is required")
		return ExitUsage
	}
	if !*list && (*input == "" || *out == "") {
		fmt.Fprintln(env.Stderr, "camscope run: --input and --out are required (or use --list)")
		return ExitUsage
	}
	m, err := loadEngine(*model, inference.Options{Keep: tensors})
	if err != nil {
		fmt.Fprintln(env.Stderr, "camscope run:", err)
		return ExitFailed
	}
	if *list {
		for _, name := range m.TensorNames() {
			sh, _ := m.Shape(name)
			kind := m.ProducerOp(name)
			if kind == "" {
				kind = "input"
				if m.Const(name) != nil {
					kind = "constant"
				}
			}
			fmt.Fprintf(env.Stdout, "%s\t%s\t%s\n", name, tensor.ShapeString(sh), kind)
		}
		return ExitOK
	}
	if len(m.Inputs) != 1 {
		fmt.Fprintf(env.Stderr, "camscope run: the model has %d inputs; run feeds models with exactly one\n", len(m.Inputs))
		return ExitFailed
	}
	x, err := npy.ReadFile(*input)
	if err != nil {
		fmt.Fprintln(env.Stderr, "camscope run:", err)
		return ExitFailed
	}
	res, err := m.Run(context.Background(), map[string]*tensor.Tensor{m.Inputs[0].Name: x}, tensors...)
	if err != nil {
		fmt.Fprintln(env.Stderr, "camscope run:", err)
		return ExitFailed
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintf(env.Stderr, "camscope run: cannot create the output folder: %v\n", err)
		return ExitFailed
	}
	names := make([]string, 0, len(m.Outputs)+len(tensors))
	for _, o := range m.Outputs {
		names = append(names, o.Name)
	}
	names = append(names, tensors...)
	for _, name := range names {
		path := filepath.Join(*out, FileName(name)+".npy")
		if err := atomicfile.Write(path, func(w io.Writer) error { return npy.Write(w, res[name]) }); err != nil {
			fmt.Fprintln(env.Stderr, "camscope run:", err)
			return ExitFailed
		}
		fmt.Fprintf(env.Stdout, "%s\t%s\t%s\n", name, tensor.ShapeString(res[name].Shape), path)
	}
	return ExitOK
}

// FileName turns a tensor name such as "/layer4/relu/Relu_output_0" into a
// file name: characters other than letters, digits, '.', '-' and '_' become
// '_', and leading ones are dropped.
func FileName(tensorName string) string {
	s := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			return r
		}
		return '_'
	}, tensorName)
	s = strings.TrimLeft(s, "_.")
	if s == "" {
		s = "tensor"
	}
	return s
}
