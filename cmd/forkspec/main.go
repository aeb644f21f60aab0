// Command forkspec runs forkspec's backends: a random lockstep search of the
// model against the impl (check), replay of trace files (replay), and a
// picture of the world after each step of a trace (explain).
//
// Exit status: 0 when everything agreed, 1 when a check or replay found a
// divergence or an unmet expectation, 2 for bad usage or bad input (a
// missing file, bad syntax, an unknown flag or syscall, a bad flag value),
// 130 when check was interrupted (after its summary of what ran).
//
// Help (-h, or `forkspec help [COMMAND]`) goes to standard error for every
// command, as the flag package prints it, and exits 0.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/forkspec/forkspec/traces"
	"github.com/forkspec/forkspec/uml"
)

// Exit statuses.
const (
	exitOK          = 0
	exitFailed      = 1   // a divergence or unmet expectation
	exitBadArgs     = 2   // bad usage or input
	exitInterrupted = 130 // check stopped by SIGINT or SIGTERM (128 + SIGINT, as shells report it)
)

// command is one subcommand. Other files add theirs with register in an
// init function, so a new subcommand (the docs helper's `specs`) is one new
// file and no edit here.
type command struct {
	name    string
	summary string // one line for the command list
	// run executes the command with its arguments (after the name) and
	// returns the exit status. It writes only to stdout and stderr.
	run func(args []string, stdout, stderr io.Writer) int
}

// commands holds the registered subcommands by name.
var commands = map[string]*command{}

// register adds c; registering a name twice is a programming error.
func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("forkspec: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

func main() {
	code := run(os.Args[1:], os.Stdout, os.Stderr)
	uml.CloseShared() // power off a kernel under test the uml backend booted
	os.Exit(code)
}

// run dispatches to the subcommand named by args[0].
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitBadArgs
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 {
			c, ok := commands[args[1]]
			if !ok {
				fmt.Fprintf(stderr, "forkspec help: unknown command %q\n", args[1])
				usage(stderr)
				return exitBadArgs
			}
			return c.run([]string{"-h"}, stdout, stderr)
		}
		usage(stderr)
		return exitOK
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "forkspec: unknown command %q\n", args[0])
		usage(stderr)
		return exitBadArgs
	}
	return c.run(args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: forkspec COMMAND [flags] [args]")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'forkspec COMMAND -h' for a command's flags.")
	fmt.Fprintln(w, "Exit status: 0 all agreed, 1 divergence or unmet expectation, 2 bad usage or input.")
}

// newFlags returns a FlagSet for a subcommand that reports errors instead
// of exiting, with a usage text of its synopsis and description.
func newFlags(name, synopsis, description string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: forkspec %s %s\n\n%s\n\nflags:\n", name, synopsis, description)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args; it returns (status, false) when the command must
// stop: -h asked for help (status 0) or the flags were bad (status 2).
func parseFlags(fs *flag.FlagSet, args []string) (int, bool) {
	err := fs.Parse(args)
	switch {
	case err == flag.ErrHelp:
		return exitOK, false
	case err != nil:
		return exitBadArgs, false
	}
	return 0, true
}

// stdin is what a trace file named "-" reads (tests replace it).
var stdin io.Reader = os.Stdin

// readTrace parses the trace file at path, or standard input for "-"
// (named stdin in errors and in the output), with the parser's bounds on
// size and line length and its "no steps" check. A missing file whose name
// starts with '-' is a flag given after the files, and is called one.
func readTrace(path string) (*traces.Trace, error) {
	if path != "-" {
		if _, err := os.Stat(path); err != nil && strings.HasPrefix(path, "-") {
			return nil, fmt.Errorf("%s: not a file; flags go before the trace files", path)
		}
		return traces.ParseFile(path)
	}
	return traces.ParseInput("stdin", stdin)
}
