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
		os.Exit(cli.Main(env, args))
	}
	os.Exit(ui.Main(args, os.Stderr))
}
