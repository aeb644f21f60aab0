package traces

import (
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strings"

	"github.com/forkspec/forkspec/abi"
)

// Record performs steps on k, which must be a fresh kernel, and returns
// them as a trace named name whose expectations are k's results. The
// property suites use it to turn a failing sequence into a durable trace
// (with the model as k). Steps keep their comments; their Want is replaced.
// The trace's Options are zero: a caller whose kernel was built with a
// non-default abi.Config sets them to match, or the replay differs.
func Record(name string, steps []Step, k abi.Kernel) *Trace {
	t := &Trace{Name: name}
	for _, s := range steps {
		r := k.Step(s.Tid, s.Call)
		s.Want = &r
		s.Line = 0
		t.Steps = append(t.Steps, s)
	}
	return t
}

// WriteFailure writes t in canonical form to a new file in dir (created if
// needed) and returns its path. The file name is derived from t.Name and a
// hash of the content, so writing the same failure twice gives one file.
func WriteFailure(dir string, t *Trace) (string, error) {
	text := t.Format()
	h := fnv.New32a()
	h.Write([]byte(text))
	path := filepath.Join(dir, fmt.Sprintf("%s-%08x.trace", slug(t.Name), h.Sum32()))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		return "", err
	}
	return path, nil
}

// slug makes a file-name-safe word of a trace name: its base name without
// extension, letters, digits, '-' and '_' kept, anything else '-'.
func slug(name string) string {
	base := strings.TrimSuffix(filepath.Base(name), ".trace")
	s := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return '-'
	}, base)
	if s == "" || s == "." || strings.Trim(s, "-") == "" {
		return "failure"
	}
	return s
}
