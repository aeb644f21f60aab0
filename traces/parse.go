package traces

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/forkspec/forkspec/abi"
)

// SyntaxError is a problem in a trace's text, at a 1-based line and byte
// column. It prints as file:line:col: message, the form editors jump to. A
// problem of the whole file (it has no steps) has Line 0 and prints as
// file: message.
type SyntaxError struct {
	File      string
	Line, Col int
	Msg       string
}

// Error prints name:line:col: message (name: message for Line 0).
func (e *SyntaxError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// optionPrefix starts an option line's comment text.
const optionPrefix = "option:"

// Limits on a trace's text. Parse, ParseReader and ParseFile refuse more
// with a *SyntaxError rather than read without bound (`forkspec replay
// /dev/zero`).
const (
	// MaxTraceBytes bounds a whole trace (a 100,000-step trace is ~2 MB;
	// parsed, a step line takes ~10 times its text in memory).
	MaxTraceBytes = 16 << 20
	// MaxLineBytes bounds one line.
	MaxLineBytes = 64 << 10
)

// ParseFile reads and parses the trace at path with ParseInput; the trace is
// named by path.
func ParseFile(path string) (*Trace, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseInput(path, f)
}

// ParseInput is ParseReader for a trace given to run (a file, standard
// input): besides ParseReader's errors, a trace without a single step is an
// error ("no steps"): there is nothing to replay.
func ParseInput(name string, r io.Reader) (*Trace, error) {
	t, err := ParseReader(name, r)
	if err != nil {
		return nil, err
	}
	if len(t.Steps) == 0 {
		return nil, &SyntaxError{File: name, Msg: "no steps (a trace needs at least one line TID SYSCALL ARGS [-> RESULT])"}
	}
	return t, nil
}

// Parse reads a trace (format: README.md). name labels the trace and its
// errors. The first error is returned as a *SyntaxError; Parse never panics.
//
// Layout: the header is the comment lines before the first blank line or
// step, and holds the option lines. A comment line `# expect: …` is an
// assertion on the View after the steps above it (Trace.Asserts), not a
// comment. Other comment lines after the header attach to the next step
// (Step.Before), or to the trace's Tail after the last step. A '#' outside
// a quoted word starts a comment on a step line.
func Parse(name string, src []byte) (*Trace, error) {
	return ParseReader(name, bytes.NewReader(src))
}

// ParseReader is Parse reading from r, a line at a time: at most
// MaxTraceBytes in all and MaxLineBytes per line are read.
func ParseReader(name string, r io.Reader) (*Trace, error) {
	p := &parser{t: &Trace{Name: name}, inHeader: true, seen: map[string]bool{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), MaxLineBytes)
	total, lineNo := 0, 0
	for sc.Scan() {
		lineNo++
		total += len(sc.Bytes()) + 1
		if total > MaxTraceBytes {
			return nil, &SyntaxError{File: name, Line: lineNo, Col: 1, Msg: fmt.Sprintf("trace longer than %d bytes", MaxTraceBytes)}
		}
		if err := p.line(lineNo, sc.Text()); err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, &SyntaxError{File: name, Line: lineNo + 1, Col: MaxLineBytes + 1, Msg: fmt.Sprintf("line longer than %d bytes", MaxLineBytes)}
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	p.t.Tail = p.pending
	return p.t, nil
}

// parser is Parse's state between lines.
type parser struct {
	t        *Trace
	inHeader bool
	pending  []string        // comment lines for the next step
	seen     map[string]bool // option keys given so far
}

// line reads line lineNo of the trace.
func (p *parser) line(lineNo int, raw string) error {
	t := p.t
	line := strings.TrimRight(raw, " \t\r")
	body := strings.TrimLeft(line, " \t")
	indent := len(line) - len(body)
	errAt := func(col int, format string, args ...any) error {
		return &SyntaxError{File: t.Name, Line: lineNo, Col: col, Msg: clipQuoted(fmt.Sprintf(format, args...))}
	}
	switch {
	case body == "":
		p.inHeader = false
		return nil
	case body[0] == '#':
		text := commentText(body)
		col := indent + 1 + len(body) - len(text) // of text
		if opts, ok := strings.CutPrefix(text, optionPrefix); ok {
			if !p.inHeader {
				return errAt(indent+1, "option lines belong in the header, before the first blank line or step")
			}
			return parseOptions(&t.Options, opts, col+len(optionPrefix), p.seen, errAt)
		}
		if rest, ok := strings.CutPrefix(text, expectPrefix); ok {
			a, err := ParseAssertion(rest)
			if err != nil {
				return errAt(col+len(expectPrefix)+len(rest)-len(strings.TrimLeft(rest, " \t")), "bad assertion: %v", err)
			}
			a.Line, a.After = lineNo, len(t.Steps)
			t.Asserts = append(t.Asserts, a)
			return nil
		}
		if p.inHeader {
			t.Comments = append(t.Comments, text)
		} else {
			p.pending = append(p.pending, text)
		}
		return nil
	}
	p.inHeader = false
	s, err := parseStep(line, errAt)
	if err != nil {
		return err
	}
	s.Line = lineNo
	s.Before = p.pending
	p.pending = nil
	t.Steps = append(t.Steps, s)
	return nil
}

// commentText is a comment without its '#' and one following space.
func commentText(c string) string {
	return strings.TrimPrefix(c[1:], " ")
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
		case "pku":
			switch val {
			case "yes":
				o.PKU = abi.FeaturePresent
			case "no":
				o.PKU = abi.FeatureAbsent
			default:
				return errAt(fcol+len(key)+1, "option pku: want yes or no, got %q", val)
			}
		case "commit-pages":
			if val == "unlimited" {
				o.CommitPages = abi.CommitUnlimited
				break
			}
			n, err := strconv.ParseUint(val, 10, 64)
			if err != nil || n < 1 || n == abi.CommitUnlimited {
				return errAt(fcol+len(key)+1, "option commit-pages: want a positive decimal number of pages or unlimited, got %q", val)
			}
			o.CommitPages = n
		case "dac-mmap-min-addr":
			n, err := strconv.ParseUint(val, 0, 64)
			if err != nil || n < abi.PageSize || n > abi.MmapMinAddr {
				return errAt(fcol+len(key)+1, "option dac-mmap-min-addr: want vm.mmap_min_addr, a number from %d to %d, got %q", abi.PageSize, abi.MmapMinAddr, val)
			}
			o.DacMmapMinAddr = n
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
			return errAt(fcol, "unknown option %q (known: max-tasks, pku, commit-pages, dac-mmap-min-addr, kernel, mmap, arch)", key)
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
	if tid < 0 {
		return s, errAt(start+1, "task id %d is negative (tasks are 1, 2, 3, …; 0 names no task)", tid)
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

// quoteShown bounds how much of a quoted word an error shows.
const quoteShown = 80

// clipQuoted shortens every Go-quoted word in msg longer than quoteShown
// bytes to its start, an ellipsis and its length, so that a bad token of a
// megabyte makes a one-line error.
func clipQuoted(msg string) string {
	if len(msg) <= 2*quoteShown {
		return msg
	}
	var b strings.Builder
	for i := 0; i < len(msg); {
		if msg[i] == '"' {
			if q, err := strconv.QuotedPrefix(msg[i:]); err == nil {
				if len(q) > quoteShown {
					word, _ := strconv.Unquote(q)
					cut := 0 // the longest start of word whose quoted form fits
					for cut < len(word) {
						_, w := utf8.DecodeRuneInString(word[cut:])
						if len(strconv.Quote(word[:cut+w])) > quoteShown-20 {
							break
						}
						cut += w
					}
					fmt.Fprintf(&b, "%s… (%d bytes)", strconv.Quote(word[:cut]), len(word))
				} else {
					b.WriteString(q)
				}
				i += len(q)
				continue
			}
		}
		b.WriteByte(msg[i])
		i++
	}
	return b.String()
}
