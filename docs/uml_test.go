package docs

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/forkspec/forkspec/traces"
	"github.com/forkspec/forkspec/uml"
)

var (
	umlRun    = flag.Bool("uml", false, "also run every spec on a kernel under test booted as User-Mode Linux (package uml)")
	umlKernel = flag.String("uml-kernel", uml.DefaultKernel, "the User-Mode Linux kernel -uml boots")
)

// TestSpecsUML runs every spec on the kernel under test (-uml): Debian's
// User-Mode Linux 6.1 by default. A spec whose addresses its address
// space cannot hold is skipped, saying which.
func TestSpecsUML(t *testing.T) {
	if !*umlRun {
		t.Skip("pass -uml to run the specs on a kernel under test booted as User-Mode Linux")
	}
	if ok, why := uml.Available(*umlKernel); !ok {
		if os.Getenv("FORKSPEC_REQUIRE_UML") != "" {
			t.Fatal(why)
		}
		t.Skip(why)
	}
	m, err := uml.Shared(*umlKernel)
	if err != nil {
		t.Fatal(err)
	}
	specs, err := LoadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	b := traces.Backend{Name: "uml", New: uml.Backend(*umlKernel)}
	outcomes := RunAllSkipping(specs, b, func(s Spec) string { return m.TraceFits(s.Block.Trace) })
	t.Logf("Linux %s (%s)", m.Release, m.KernelPath)
	for _, s := range specs {
		t.Run(s.Topic()+"/"+s.ID, func(t *testing.T) {
			o := outcomes[s.ID]
			switch o.Status {
			case Skipped:
				t.Skipf("%s:%d: %s: %s", s.Page, s.Line, s.ID, o.Msg)
			case Fail:
				t.Errorf("%s:%d: %s on uml (Linux %s): %s\n(spec %q; the steps as run:\n  %s)",
					s.Page, o.Line, s.ID, m.Release, o.Msg, s.Title, strings.Join(o.History, "\n  "))
			case PassUnchecked:
				t.Logf("%s: not checkable on uml: %s", s.ID, strings.Join(o.Unchecked, "; "))
			}
		})
	}
}
