//go:build !race

package cam

// raceDetector is true when the tests run under the race detector.
const raceDetector = false
