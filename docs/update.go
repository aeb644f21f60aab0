package docs

import (
	"strings"
)

// RewriteResults returns the page src with the expected result of every
// step line in got (page line → result text) replaced by that text. Only
// steps that already carry an expectation (`-> …`) are rewritten: a step
// written without one stays without. A trailing `# comment` is kept.
//
// This is what `go test ./docs -update` does with the model's results. It
// makes the specs agree with the model, which is only right when the model
// is right: commit only the changes you understand.
func RewriteResults(src []byte, got map[int]string) []byte {
	lines := strings.Split(string(src), "\n")
	for i, line := range lines {
		text, ok := got[i+1]
		if !ok {
			continue
		}
		arrow := strings.Index(line, " -> ")
		if arrow < 0 {
			continue
		}
		rest := line[arrow+4:]
		comment := ""
		if c := strings.Index(rest, "#"); c >= 0 {
			comment = rest[len(strings.TrimRight(rest[:c], " \t")):]
		}
		lines[i] = line[:arrow] + " -> " + text + comment
	}
	return []byte(strings.Join(lines, "\n"))
}
