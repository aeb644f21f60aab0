package props

import (
	"flag"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestMain sets this package's default budget where neither a flag nor a
// RAPID_* variable says otherwise: longer runs than rapid's 30 steps (fork,
// exit and reparent patterns need room to unfold), more of them than
// rapid's 100 (a lockstep step costs ~50 µs, so the default run stays
// well under a minute on two cores), and a shorter shrink deadline (the
// by-meaning reducer finishes the job).
func TestMain(m *testing.M) {
	flag.Parse()
	for name, value := range map[string]string{
		"rapid.steps":      strconv.Itoa(defaultSteps),
		"rapid.checks":     strconv.Itoa(defaultChecks),
		"rapid.shrinktime": "10s",
	} {
		env := "RAPID_" + strings.ToUpper(strings.TrimPrefix(name, "rapid."))
		if !flagSet(name) && os.Getenv(env) == "" {
			_ = flag.Set(name, value)
		}
	}
	os.Exit(m.Run())
}

// The default budget: runs of defaultSteps steps on average, defaultChecks
// runs per property.
const (
	defaultSteps  = 100
	defaultChecks = 300
)

func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// rapidChecks is the -rapid.checks value in force.
func rapidChecks() int {
	if f := flag.Lookup("rapid.checks"); f != nil {
		n, _ := strconv.Atoi(f.Value.String())
		return n
	}
	return 0
}
