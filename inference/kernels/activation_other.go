//go:build !amd64 || purego

package kernels

// The activation kernels have only their portable loops here.

// actKind is the implementation of Exp, Sigmoid and SiLU (always the
// portable one here).
var actKind = kindGo

func expSlice(dst, src []float32)     { expGo(dst, src) }
func sigmoidSlice(dst, src []float32) { sigmoidGo(dst, src) }
func siluSlice(dst, src []float32)    { siluGo(dst, src) }
func erfSlice(dst, src []float32)     { erfGo(dst, src) }
func geluSlice(dst, src []float32)    { geluGo(dst, src) }
func rowMaxSlice(x []float32) float32 { return rowMaxGo(x) }

func expSumSlice(dst, src []float32, shift float32) float32 {
	return expSumGo(dst, src, shift)
}
