// Package cli holds CAMscope's command-line commands (run, bench, explain,
// ...). Each command lives in its own file and registers itself; Main
// dispatches on the first argument.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"camscope/app/cliflag"
)

// Exit codes shared by every command.
const (
	ExitOK      = 0 // everything worked
	ExitFailed  = 1 // the command ran but some or all of its work failed
	ExitUsage   = 2 // the command line was wrong
	exitUnknown = ExitUsage
)

// Env is what a command may touch besides its arguments.
type Env struct {
	Stdout io.Writer
	Stderr io.Writer
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(env *Env, args []string) int
}

var commands = map[string]*command{}

func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("cli: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

// IsCommand reports whether name is a CLI subcommand.
func IsCommand(name string) bool {
	if name == "help" || name == "-h" || name == "--help" {
		return true
	}
	_, ok := commands[name]
	return ok
}

// Main runs the command named by args[0] and returns the process exit code.
func Main(env *Env, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(env.Stdout)
		return ExitOK
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(env.Stderr, "camscope: unknown command %q. Run 'camscope help' for the list of commands.\n", args[0])
		return exitUnknown
	}
	return c.run(env, args[1:])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "CAMscope shows where a convolutional image classifier looks.")
	fmt.Fprintln(w, "\nUsage:\n  camscope                      open the desktop app\n  camscope COMMAND [options]    run a command\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-14s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'camscope COMMAND -h' for a command's options.")
}

// newFlags returns a flag set that reports errors to env.Stderr instead of
// exiting, so that commands can return ExitUsage.
func newFlags(env *Env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: camscope %s %s\n\nOptions:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args and reports whether the command should go on; when it
// should not, code is the exit code to return.
func parse(fs *flag.FlagSet, args []string) (code int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK, false
		}
		return ExitUsage, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "camscope %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return ExitUsage, false
	}
	if name := repeated(fs, args); name != "" {
		fmt.Fprintf(fs.Output(), "camscope %s: --%s is given twice; give it once\n", fs.Name(), name)
		return ExitUsage, false
	}
	// An option given an empty text (often an unset shell variable, as in
	// --model "$MODEL") would silently mean its default.
	empty := ""
	fs.Visit(func(f *flag.Flag) {
		if g, ok := f.Value.(flag.Getter); ok && empty == "" {
			if s, ok := g.Get().(string); ok && s == "" {
				empty = f.Name
			}
		}
	})
	if empty != "" {
		fmt.Fprintf(fs.Output(), "camscope %s: --%s is empty; give it a value, or leave the option out for its default\n", fs.Name(), empty)
		return ExitUsage, false
	}
	return 0, true
}

// repeated returns the first single-valued option that args (already
// parsed by fs) give more than once, which the flag package would quietly
// settle by keeping the last; "" if none. Options that collect values
// (cliflag.Strings, such as --class) may repeat.
func repeated(fs *flag.FlagSet, args []string) string {
	seen := map[string]bool{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" || len(a) < 2 || a[0] != '-' {
			break
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f := fs.Lookup(name)
		if f == nil {
			break
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !(ok && b.IsBoolFlag()) && !hasValue {
			i++ // the next argument is the value
		}
		if _, collects := f.Value.(*cliflag.Strings); !collects && seen[name] {
			return name
		}
		seen[name] = true
	}
	return ""
}
