//go:build race

package inference

// raceDetector is true when the tests run under the race detector, which
// the batches of every shared model are too long for.
const raceDetector = true
