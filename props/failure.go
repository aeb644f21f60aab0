package props

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/forkspec/forkspec/traces"
)

// FailureDir is where failing runs are written as traces (gitignored),
// relative to this package's directory.
const FailureDir = "testdata/failures"

// WriteFailure writes the run of m — normally a reduced one, ending at the
// failing step — as a trace named after the test (traces.WriteFailure adds a
// hash of the content). It returns the path and the command that replays the
// trace by meaning, both relative to the module root.
func WriteFailure(m *Machine, test string, f *Failure) (path, replay string, err error) {
	comments := []string{
		fmt.Sprintf("Found by props %s: %s on %s at step %d.", test, f.What(), f.Backend, f.Index+1),
	}
	for i, l := range strings.Split(strings.TrimRight(f.Detail, "\n"), "\n") {
		if i == 4 {
			comments = append(comments, "…")
			break
		}
		comments = append(comments, l)
	}
	comments = append(comments, fmt.Sprintf("Expectations are %s's results.", m.backends[0].Name))
	tr := m.Trace(strings.NewReplacer("/", "_", " ", "_").Replace(test), comments...)
	p, err := traces.WriteFailure(FailureDir, tr)
	if err != nil {
		return "", "", err
	}
	path = filepath.Join("props", p)
	return path, "go run ./cmd/forkspec replay -backend both " + path, nil
}
