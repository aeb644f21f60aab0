package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/forkspec/forkspec/uml"
)

// TestUMLBackend: -backend uml is refused with the reason where there is no
// User-Mode Linux kernel, and runs the corpus in lockstep with the model,
// on the kernel's rules, where there is one.
func TestUMLBackend(t *testing.T) {
	if st, _, errs := forkspec("specs", "-backend", "uml", "-w", "-dir", "../../docs"); st != exitBadArgs || !strings.Contains(errs, "without -w") {
		t.Errorf("specs -backend uml -w: status %d, stderr %q", st, errs)
	}
	missing := filepath.Join(t.TempDir(), "linux")
	st, _, errs := forkspec("replay", "-backend", "model,uml", "-uml-kernel", missing, "testdata/explain.trace")
	if st != exitBadArgs || !strings.Contains(errs, "backend uml cannot run here") || !strings.Contains(errs, missing) {
		t.Errorf("a missing kernel: status %d, stderr %q", st, errs)
	}
	if ok, why := uml.Available(""); !ok {
		if os.Getenv("FORKSPEC_REQUIRE_UML") != "" {
			t.Fatal(why)
		}
		t.Skip(why)
	}
	paths, _ := filepath.Glob("../../traces/*.trace")
	st, out, errs := forkspec(append([]string{"replay", "-backend", "model,uml"}, paths...)...)
	if st != exitOK {
		t.Fatalf("replay on uml: status %d\n%s\n%s", st, out, errs)
	}
	if !strings.Contains(out, "skip line") || !strings.Contains(out, "MADV_DONTFORK on User-Mode Linux before 6.11") {
		t.Errorf("the DONTFORK trace was not skipped with its reason:\n%s", out)
	}
	if agree, skip := strings.Count(out, "backends agree"), strings.Count(out, "\nskip "); agree+skip != len(paths) || agree == 0 {
		t.Errorf("%d traces agreed and %d were skipped, of %d:\n%s", agree, skip, len(paths), out)
	}
}
