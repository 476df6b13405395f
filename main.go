// Command camscope shows where a convolutional image classifier looks. With
// no command it opens the desktop app; with one it runs that command.
package main

import (
	"os"
	"runtime/debug"

	"camscope/app/cli"
	_ "camscope/app/locale" // before Fyne reads the locale
	"camscope/ui"
)

// gcPercent is the garbage collector's target. A session keeps models with
// tens of megabytes of weights alive while each run allocates activations
// that die at once; Go's default (100: let the heap grow to twice what is
// live) would spend that much again on garbage. Half is enough.
const gcPercent = 50

func main() {
	debug.SetGCPercent(gcPercent)
	args := os.Args[1:]
	if len(args) > 0 && cli.IsCommand(args[0]) {
		env := &cli.Env{Stdout: os.Stdout, Stderr: os.Stderr}
		// Fyne's GL driver locks the main goroutine to the main thread
		// (runtime.LockOSThread in its init). A locked goroutine cannot
		// yield without handing its processor to another thread and
		// waking it, through the kernel, and the inference engine's
		// parallel loops yield thousands of times a forward pass while
		// they wait for each other: on the main goroutine, ResNet-18 on two
		// cores took 19-21 ms instead of 14. The commands have no window,
		// so they run on an ordinary goroutine.
		code := make(chan int)
		go func() { code <- cli.Main(env, args) }()
		os.Exit(<-code)
	}
	os.Exit(ui.Main(args, os.Stderr))
}
