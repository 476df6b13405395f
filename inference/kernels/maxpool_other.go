//go:build !amd64 || purego

package kernels

// MaxPool2D has no kernel here: NewMaxPool2D returns nil.
const hasMaxPool = false

func maxPoolRun(*MaxPool2D, *float32, *float32, int) bool {
	panic("kernels: MaxPool2D has no kernel without AVX-512")
}
