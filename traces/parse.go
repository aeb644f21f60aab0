package traces

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/forkspec/forkspec/abi"
)

// SyntaxError is a problem in a trace's text, at a 1-based line and byte
// column. It prints as file:line:col: message, the form editors jump to.
type SyntaxError struct {
	File      string
	Line, Col int
	Msg       string
}

// Error prints name:line:col: message.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// optionPrefix starts an option line's comment text.
const optionPrefix = "option:"

// ParseFile reads and parses the trace at path; the trace is named by path.
func ParseFile(path string) (*Trace, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, src)
}

// Parse reads a trace (format: README.md). name labels the trace and its
// errors. The first error is returned as a *SyntaxError; Parse never panics.
//
// Layout: the header is the comment lines before the first blank line or
// step, and holds the option lines. Comment lines after it attach to the
// next step (Step.Before), or to the trace's Tail after the last step. A
// '#' outside a quoted word starts a comment on a step line.
func Parse(name string, src []byte) (*Trace, error) {
	t := &Trace{Name: name}
	inHeader := true
	var pending []string
	seen := map[string]bool{}
	for i, raw := range strings.Split(string(src), "\n") {
		lineNo := i + 1
		line := strings.TrimRight(raw, " \t\r")
		body := strings.TrimLeft(line, " \t")
		indent := len(line) - len(body)
		errAt := func(col int, format string, args ...any) error {
			return &SyntaxError{File: name, Line: lineNo, Col: col, Msg: fmt.Sprintf(format, args...)}
		}
		switch {
		case body == "":
			inHeader = false
			continue
		case body[0] == '#':
			text := commentText(body)
			if opts, ok := strings.CutPrefix(text, optionPrefix); ok {
				if !inHeader {
					return nil, errAt(indent+1, "option lines belong in the header, before the first blank line or step")
				}
				col := indent + 1 + len(body) - len(text) + len(optionPrefix)
				if err := parseOptions(&t.Options, opts, col, seen, errAt); err != nil {
					return nil, err
				}
				continue
			}
			if inHeader {
				t.Comments = append(t.Comments, text)
			} else {
				pending = append(pending, text)
			}
			continue
		}
		inHeader = false
		s, err := parseStep(line, errAt)
		if err != nil {
			return nil, err
		}
		s.Line = lineNo
		s.Before = pending
		pending = nil
		t.Steps = append(t.Steps, s)
	}
	t.Tail = pending
	return t, nil
}

// commentText is a comment without its '#' and one following space.
func commentText(c string) string {
	text := c[1:]
	if strings.HasPrefix(text, " ") {
		text = text[1:]
	}
	return text
}

// parseOptions reads `key=value ...` at column col into o.
func parseOptions(o *Options, text string, col int, seen map[string]bool,
	errAt func(int, string, ...any) error) error {
	fields := 0
	for i := 0; i < len(text); {
		if text[i] == ' ' || text[i] == '\t' {
			i++
			continue
		}
		end := strings.IndexAny(text[i:], " \t")
		if end < 0 {
			end = len(text) - i
		}
		field, fcol := text[i:i+end], col+i
		i += end
		fields++
		key, val, ok := strings.Cut(field, "=")
		if !ok {
			return errAt(fcol, "option %q: want key=value", field)
		}
		if seen[key] {
			return errAt(fcol, "option %q given twice", key)
		}
		seen[key] = true
		switch key {
		case "max-tasks":
			n, err := strconv.Atoi(val)
			if err != nil || n < 1 {
				return errAt(fcol+len(key)+1, "option max-tasks: want a positive decimal number, got %q", val)
			}
			o.MaxTasks = n
		case "kernel":
			r, err := abi.ParseRelease(val)
			if err != nil {
				return errAt(fcol+len(key)+1, "option kernel: %v", err)
			}
			o.Target.Release = r
		case "mmap":
			l, err := abi.ParseLayout(val)
			if err != nil {
				return errAt(fcol+len(key)+1, "option mmap: %v", err)
			}
			o.Target.Layout = l
		case "arch":
			a, err := abi.ParseArch(val)
			if err != nil {
				return errAt(fcol+len(key)+1, "option arch: %v", err)
			}
			o.Target.Arch = a
		default:
			return errAt(fcol, "unknown option %q (known: max-tasks, kernel, mmap, arch)", key)
		}
	}
	if fields == 0 {
		return errAt(col, "empty option line (want e.g. # option: max-tasks=8)")
	}
	return nil
}

// stepParts are the byte offsets of a step line's parts, found by a scan
// that knows Go-quoted words: '#' starts the comment and a word starting
// with "->" starts the expected result, unless they are inside quotes.
type stepParts struct {
	arrow, comment int // -1 when absent
}

func scanStep(line string) stepParts {
	p := stepParts{arrow: -1, comment: -1}
	atWordStart := true
	for i := 0; i < len(line); {
		c := line[i]
		switch {
		case c == ' ' || c == '\t':
			atWordStart = true
			i++
			continue
		case c == '"':
			if q, err := strconv.QuotedPrefix(line[i:]); err == nil {
				i += len(q)
				atWordStart = false
				continue
			}
		case c == '#':
			p.comment = i
			return p
		case atWordStart && p.arrow < 0 && strings.HasPrefix(line[i:], "->"):
			p.arrow = i
			i += 2
			atWordStart = true // "->3" reads like "-> 3"
			continue
		}
		atWordStart = false
		i++
	}
	return p
}

// parseStep reads `TID SYSCALL ARGS [-> RESULT] [# comment]`.
func parseStep(line string, errAt func(int, string, ...any) error) (Step, error) {
	var s Step
	parts := scanStep(line)
	end := len(line)
	if parts.comment >= 0 {
		end = parts.comment
		s.Comment = strings.TrimRight(commentText(line[parts.comment:]), " \t")
	}
	callEnd := end
	if parts.arrow >= 0 {
		callEnd = parts.arrow
	}

	// The task id: the first word.
	start := len(line) - len(strings.TrimLeft(line, " \t"))
	tidEnd := start
	for tidEnd < callEnd && line[tidEnd] != ' ' && line[tidEnd] != '\t' {
		tidEnd++
	}
	if tidEnd == start {
		return s, errAt(start+1, "missing task id before %q", strings.TrimSpace(line[start:end]))
	}
	tid, err := strconv.Atoi(line[start:tidEnd])
	if err != nil {
		return s, errAt(start+1, "expected a task id (a decimal number), got %q", line[start:tidEnd])
	}
	s.Tid = tid

	callText := line[tidEnd:callEnd]
	if strings.TrimSpace(callText) == "" {
		return s, errAt(tidEnd+1, "missing syscall after task id %d", tid)
	}
	s.Call, err = abi.ParseSyscall(callText)
	if err != nil {
		return s, shift(err, tidEnd, errAt)
	}

	if parts.arrow >= 0 {
		wantText := line[parts.arrow+2 : end]
		if strings.TrimSpace(wantText) == "" {
			return s, errAt(parts.arrow+1, "missing expected result after \"->\"")
		}
		r, err := abi.ParseResult(wantText)
		if err != nil {
			return s, shift(err, parts.arrow+2, errAt)
		}
		s.Want = &r
	}
	return s, nil
}

// shift turns an abi.SyntaxError in a substring starting at byte offset off
// into a positioned error on the line.
func shift(err error, off int, errAt func(int, string, ...any) error) error {
	var se *abi.SyntaxError
	if errors.As(err, &se) {
		return errAt(off+se.Col, "%s", se.Msg)
	}
	return errAt(off+1, "%v", err)
}
