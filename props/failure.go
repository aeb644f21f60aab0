package props

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// FailureDir is where failing runs are written as traces (gitignored).
const FailureDir = "testdata/failures"

// WriteFailure writes the run of m up to and including the failing step as a
// trace named after the test, replacing any earlier one: rapid re-runs the
// shrunk case last, so the file left behind is the shrunk trace. It returns
// the path and the command that replays it by meaning, both from the module
// root.
func WriteFailure(m *Machine, test string, f *Failure) (path, replay string, err error) {
	name := strings.NewReplacer("/", "_", " ", "_", "#", "_").Replace(test) + ".trace"
	comments := []string{
		fmt.Sprintf("Found by props %s: %s on %s at step %d.", test, f.Kind, f.Backend, f.Index+1),
	}
	for _, l := range strings.Split(strings.TrimRight(f.Detail, "\n"), "\n") {
		if len(comments) > 6 {
			comments = append(comments, "…")
			break
		}
		comments = append(comments, l)
	}
	comments = append(comments, "Expectations are the model's results.")
	tr := m.Trace(filepath.Join("props", FailureDir, name), comments...)
	if err := os.MkdirAll(FailureDir, 0o755); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(filepath.Join(FailureDir, name), []byte(tr.Format()), 0o644); err != nil {
		return "", "", err
	}
	path = filepath.Join("props", FailureDir, name)
	return path, "go run ./cmd/forkspec replay -backend both " + path, nil
}
