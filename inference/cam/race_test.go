//go:build race

package cam

// raceDetector is true when the tests run under the race detector, which
// the runs over every channel of Score-CAM are too long for.
const raceDetector = true
