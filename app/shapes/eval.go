package shapes

import "sync"

// Result counts a classifier's answers on held-out scenes.
type Result struct {
	N         int
	Correct   int // top-1 class right
	Localised int // class right and CAM box IoU >= 0.5 with the dominant shape
}

// Accuracy is the top-1 classification accuracy.
func (r Result) Accuracy() float64 { return float64(r.Correct) / float64(max(1, r.N)) }

// LocAccuracy is the CAM localisation accuracy.
func (r Result) LocAccuracy() float64 { return float64(r.Localised) / float64(max(1, r.N)) }

// Classifier predicts a scene's class and gives the CAM of that class, a
// w x h grid over the whole scene.
type Classifier func(sc Scene) (class int, cam []float32, w, h int, err error)

// evalWorkers is how many goroutines Evaluate uses.
const evalWorkers = 2

// Evaluate scores a classifier on n scenes of the held-out series seed
// drawn with opt: top-1 accuracy, and localisation as in the CAM paper (the
// box of CAMBox has IoU >= 0.5 with the true box of the dominant shape).
// Each goroutine gets its own classifier from newClassifier, so that a
// classifier may keep scratch buffers. The first error stops the count.
func Evaluate(seed uint64, n int, opt Options, newClassifier func() Classifier) (Result, error) {
	var (
		mu    sync.Mutex
		total Result
		first error
		wg    sync.WaitGroup
	)
	for w := 0; w < evalWorkers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			classify := newClassifier()
			var r Result
			for i := w; i < n; i += evalWorkers {
				sc := opt.Scene(seed, uint64(i))
				class, cam, cw, ch, err := classify(sc)
				if err != nil {
					mu.Lock()
					first = err
					mu.Unlock()
					return
				}
				r.N++
				if class != int(sc.Label) {
					continue
				}
				r.Correct++
				b := sc.Image.Bounds()
				if IoU(CAMBox(cam, cw, ch, b.Dx(), b.Dy()), sc.Box()) >= 0.5 {
					r.Localised++
				}
			}
			mu.Lock()
			total.N += r.N
			total.Correct += r.Correct
			total.Localised += r.Localised
			mu.Unlock()
		}()
	}
	wg.Wait()
	return total, first
}
