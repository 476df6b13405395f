// Command camscope shows where a convolutional image classifier looks. With
// no command it opens the desktop app; with one it runs that command.
package main

import (
	"os"

	"camscope/app/cli"
)

func main() {
	env := &cli.Env{Stdout: os.Stdout, Stderr: os.Stderr}
	os.Exit(cli.Main(env, os.Args[1:]))
}
