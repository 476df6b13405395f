package render

import (
	"runtime"
	"sync"
)

// parallelPixels is the picture size, in pixels, from which the per-pixel
// passes (upsampling, colouring, blending) split their rows over the cores;
// below it the goroutines cost more than they save.
const parallelPixels = 1 << 18

// rows calls f on consecutive ranges [y0, y1) covering 0..n rows of width
// pixels each: one call for small pictures, one range per core at once for
// large ones. f must only touch its own rows.
func rows(n, width int, f func(y0, y1 int)) {
	p := runtime.GOMAXPROCS(0)
	if p == 1 || n < 2 || n*width < parallelPixels {
		f(0, n)
		return
	}
	p = min(p, n)
	var wg sync.WaitGroup
	for i := range p {
		wg.Go(func() { f(i*n/p, (i+1)*n/p) })
	}
	wg.Wait()
}
