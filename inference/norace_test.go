//go:build !race

package inference

// raceDetector is true when the tests run under the race detector.
const raceDetector = false
