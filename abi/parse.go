package abi

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// SyntaxError is a parse error in the text of one step or result. Col is the
// 1-based byte column within the parsed string, so that a caller that knows
// where the string came from can report file:line:col.
type SyntaxError struct {
	Col int
	Msg string
}

// Error prints the column and the message.
func (e *SyntaxError) Error() string { return fmt.Sprintf("col %d: %s", e.Col, e.Msg) }

func errAt(col int, format string, args ...any) *SyntaxError {
	return &SyntaxError{Col: col, Msg: fmt.Sprintf(format, args...)}
}

// ParseSyscall reads one syscall in trace syntax (see the package doc): what
// Syscall.String prints, and what a human writes by hand:
//
//   - numbers are Go integer literals with an optional sign: 42, -1, 0x2a,
//     0o52, 052, 0b101010, 1_000;
//   - flag words are names or numbers joined by '|' (CLONE_VM|0x200, 0);
//     names are matched without regard to case;
//   - signals are names (SIGTERM, TERM, SIGRTMIN+3, SIGRTMAX-1) or numbers;
//     in a signal set (sigprocmask) every part is one signal, by name or
//     number 1..64, and a lone 0 is the empty set;
//   - in legacy clone flags a signal name gives the termination signal in
//     the low byte, and numbers are raw bits;
//   - words (image names, paths) are bare or Go-quoted ("a b").
//
// Errors are *SyntaxError. ParseSyscall never panics.
func ParseSyscall(s string) (Syscall, error) {
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return nil, errAt(1, "missing syscall")
	}
	name := toks[0]
	parse, ok := syscallParsers[strings.ToLower(name.text)]
	if name.quoted || !ok {
		return nil, errAt(name.col, "unknown syscall %q (want one of %s)", name.text, strings.Join(syscallNames(), ", "))
	}
	p := &argParser{call: strings.ToLower(name.text), toks: toks[1:], end: len(s) + 1}
	sc := parse(p)
	if p.err == nil && len(p.toks) > 0 {
		p.err = errAt(p.toks[0].col, "%s: unexpected argument %q", p.call, p.toks[0].text)
	}
	if p.err != nil {
		return nil, p.err
	}
	return sc, nil
}

// syscallParsers reads each syscall's arguments, in the order String prints them.
var syscallParsers = map[string]func(p *argParser) Syscall{
	"fork":    func(p *argParser) Syscall { return Fork{} },
	"vfork":   func(p *argParser) Syscall { return Vfork{} },
	"getpid":  func(p *argParser) Syscall { return Getpid{} },
	"getppid": func(p *argParser) Syscall { return Getppid{} },
	"gettid":  func(p *argParser) Syscall { return Gettid{} },
	"clone": func(p *argParser) Syscall {
		c := Clone{Flags: p.cloneFlags()}
		c.Ptid, c.Ctid = p.tidPointers()
		return c
	},
	"clone3": func(p *argParser) Syscall {
		c := Clone3{Flags: p.flags("flags", cloneNames), ExitSignal: p.signalU64("exit signal")}
		c.Ptid, c.Ctid = p.tidPointers()
		return c
	},
	"execve":     func(p *argParser) Syscall { return Execve{Image: p.word("image")} },
	"exit":       func(p *argParser) Syscall { return Exit{Code: p.int("status")} },
	"exit_group": func(p *argParser) Syscall { return ExitGroup{Code: p.int("status")} },
	"wait4": func(p *argParser) Syscall {
		return Wait4{Pid: p.int("pid"), Options: int64(p.flags("options", waitNames))}
	},
	"prctl": func(p *argParser) Syscall {
		return Prctl{Option: p.enum("option", prctlNames), Arg: p.uint64("arg")}
	},
	"mmap": func(p *argParser) Syscall {
		return Mmap{Addr: p.uint64("addr"), Len: p.uint64("length"),
			Prot: int64(p.flags("prot", protParseNames)), Flags: int64(p.flags("flags", mapNames))}
	},
	"munmap": func(p *argParser) Syscall { return Munmap{Addr: p.uint64("addr"), Len: p.uint64("length")} },
	"mprotect": func(p *argParser) Syscall {
		return Mprotect{Addr: p.uint64("addr"), Len: p.uint64("length"), Prot: int64(p.flags("prot", protParseNames))}
	},
	"madvise": func(p *argParser) Syscall {
		return Madvise{Addr: p.uint64("addr"), Len: p.uint64("length"), Advice: p.enum("advice", adviceNames)}
	},
	"load":  func(p *argParser) Syscall { return Load{Addr: p.uint64("addr")} },
	"store": func(p *argParser) Syscall { return Store{Addr: p.uint64("addr"), Value: p.uint64("value")} },
	"open": func(p *argParser) Syscall {
		return Open{Path: p.word("path"), Flags: int64(p.flags("flags", openNames))}
	},
	"close": func(p *argParser) Syscall { return Close{Fd: p.int("fd")} },
	"dup":   func(p *argParser) Syscall { return Dup{Fd: p.int("fd")} },
	"fcntl": func(p *argParser) Syscall {
		return Fcntl{Fd: p.int("fd"), Cmd: p.enum("command", fcntlNames), Arg: int64(p.flags("arg", fdNames))}
	},
	"write": func(p *argParser) Syscall { return Write{Fd: p.int("fd"), N: p.int64("count")} },
	"lseek": func(p *argParser) Syscall {
		return Lseek{Fd: p.int("fd"), Offset: p.int64("offset"), Whence: p.enum("whence", whenceNames)}
	},
	"umask": func(p *argParser) Syscall { return Umask{Mask: p.int64("mask")} },
	"sigaction": func(p *argParser) Syscall {
		return Sigaction{Sig: p.signal("signal"), Handler: Disposition(p.enum("handler", dispNames)),
			Flags: p.flags("flags", saNames), Old: p.word0("old")}
	},
	"sigprocmask": func(p *argParser) Syscall {
		return Sigprocmask{How: p.enum("how", howNames), Set: p.sigset("set"), Old: p.word0("old")}
	},
	"pipe2": func(p *argParser) Syscall { return Pipe2{Flags: int64(p.flags("flags", pipeNames))} },
	"read":  func(p *argParser) Syscall { return Read{Fd: p.int("fd"), N: p.int64("count")} },
	"dup2":  func(p *argParser) Syscall { return Dup2{Old: p.int("oldfd"), New: p.int("newfd")} },
	"dup3": func(p *argParser) Syscall {
		return Dup3{Old: p.int("oldfd"), New: p.int("newfd"), Flags: int64(p.flags("flags", openNames))}
	},
	"futex": func(p *argParser) Syscall {
		return Futex{Addr: p.uint64("addr"), Op: int64(p.flags("op", futexOpNames)), Val: p.uint64("val")}
	},
	"tgkill": func(p *argParser) Syscall {
		return Tgkill{Tgid: p.int("tgid"), Tid: p.int("tid"), Sig: p.signal("signal")}
	},
	"tkill":      func(p *argParser) Syscall { return Tkill{Tid: p.int("tid"), Sig: p.signal("signal")} },
	"sigpending": func(p *argParser) Syscall { return Sigpending{} },
	"kill":       func(p *argParser) Syscall { return Kill{Pid: p.int("pid"), Sig: p.signal("signal")} },
}

// protParseNames adds PROT_NONE, which String prints for 0, to the prot bits.
var protParseNames = append([]flagName{{"PROT_NONE", 0}}, protNames...)

// futexOpNames are the names a futex op is written with: a command and flags.
var futexOpNames = append(append([]flagName(nil), futexNames...), futexFlagNames...)

// word0 consumes the optional bare word w (clone's and sigaction's
// optional arguments) and reports whether it was there.
func (p *argParser) word0(w string) bool {
	if p.err == nil && len(p.toks) > 0 && !p.toks[0].quoted && strings.EqualFold(p.toks[0].text, w) {
		p.toks = p.toks[1:]
		return true
	}
	return false
}

// tidPointers reads clone's optional ptid=ADDR and ctid=ADDR, in that order.
func (p *argParser) tidPointers() (ptid, ctid uint64) {
	for _, key := range []string{"ptid=", "ctid="} {
		if p.err != nil || len(p.toks) == 0 || p.toks[0].quoted || !strings.HasPrefix(strings.ToLower(p.toks[0].text), key) {
			continue
		}
		t := p.toks[0]
		p.toks = p.toks[1:]
		v, err := toUint64(t.text[len(key):], t.col+len(key), key[:4])
		if err != nil {
			p.fail(err)
		}
		if key == "ptid=" {
			ptid = v
		} else {
			ctid = v
		}
	}
	return ptid, ctid
}

// syscallNames lists the syscall names in sorted order, for error messages.
func syscallNames() []string {
	names := make([]string, 0, len(syscallParsers))
	for n := range syscallParsers {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// ParseResult reads a result in trace syntax, as Result.String prints it (the
// text after "->"):
//
//	3 | 0x100000000000 | ENOENT | errno(95)
//	2 status=exit(1) | 3 status=signal(SIGTERM) | 2 status=0x137f
//	2 frozen | exited | execed | blocked | killed(SIGSEGV)
//	sigset(SIGUSR1|SIGTERM) | action(handler|SA_RESTART)   a set, an old action
//	no-task | task-frozen | zombie | task-blocked | unsupported
//
// Names are matched without regard to case. Errors are *SyntaxError.
func ParseResult(s string) (Result, error) {
	toks, err := tokenize(s)
	if err != nil {
		return Result{}, err
	}
	if len(toks) == 0 {
		return Result{}, errAt(1, "missing result")
	}
	first := toks[0]
	if first.quoted {
		return Result{}, errAt(first.col, "expected a result, got a quoted string")
	}
	lower := strings.ToLower(first.text)
	var r Result
	single := true
	switch {
	case lower == "exited":
		r.Outcome = OutcomeExited
	case lower == "execed":
		r.Outcome = OutcomeExeced
	case lower == "blocked":
		r.Outcome = OutcomeBlocked
	case outcomeByName(lower) >= OutcomeNoTask:
		r.Outcome = outcomeByName(lower)
	case strings.HasPrefix(lower, "killed("):
		sig, err := parseCall(first, "killed", func(arg string, col int) (int64, error) {
			return parseSignalText(arg, col)
		})
		if err != nil {
			return Result{}, err
		}
		r.Outcome, r.Signal = OutcomeKilled, int(sig)
	default:
		single = false
		switch {
		case isNumber(first.text):
			r.Ret, err = toUint64(first.text, first.col, "return value")
		case strings.HasPrefix(lower, "sigset("):
			r.Ret, err = parseRetSet(first)
		case strings.HasPrefix(lower, "action("):
			r.Ret, err = parseRetAction(first)
		default:
			r.Err, err = parseErrno(first)
		}
		if err != nil {
			return Result{}, err
		}
	}
	rest := toks[1:]
	if single {
		if len(rest) > 0 {
			return Result{}, errAt(rest[0].col, "unexpected %q after %q", rest[0].text, first.text)
		}
		return r, nil
	}
	seenStatus := false
	for _, t := range rest {
		low := strings.ToLower(t.text)
		switch {
		case t.quoted:
			return Result{}, errAt(t.col, "unexpected quoted string in a result")
		case low == "frozen" && r.Outcome != OutcomeFrozen:
			r.Outcome = OutcomeFrozen
		case strings.HasPrefix(low, "status=") && !seenStatus:
			seenStatus = true
			st, err := parseWaitStatus(t.text[len("status="):], t.col+len("status="))
			if err != nil {
				return Result{}, err
			}
			r.Status = st
		default:
			return Result{}, errAt(t.col, "unexpected %q in a result (want status=… or frozen, each at most once)", t.text)
		}
	}
	return r, nil
}

// outcomeByName returns the outcome named s, or -1.
func outcomeByName(s string) Outcome {
	for o, n := range outcomeNames {
		if n == s {
			return Outcome(o)
		}
	}
	return -1
}

// parseErrno reads an errno name (ENOENT) or errno(N).
func parseErrno(t token) (Errno, error) {
	for e, n := range errnoNames {
		if strings.EqualFold(n, t.text) {
			return e, nil
		}
	}
	if strings.HasPrefix(strings.ToLower(t.text), "errno(") {
		n, err := parseCall(t, "errno", func(arg string, col int) (int64, error) {
			v, err := toInt64(arg, col, "errno")
			if err == nil && (v < math.MinInt || v > math.MaxInt) {
				err = errAt(col, "errno %s out of range", arg)
			}
			return v, err
		})
		return Errno(n), err
	}
	return 0, errAt(t.col, "expected a number, an errno name or a result word, got %q", t.text)
}

// parseCall reads NAME(ARG) in token t and parses ARG with f.
func parseCall(t token, name string, f func(arg string, col int) (int64, error)) (int64, error) {
	open := len(name) + 1
	if !strings.HasSuffix(t.text, ")") || len(t.text) <= open {
		return 0, errAt(t.col, "expected %s(…), got %q", name, t.text)
	}
	return f(t.text[open:len(t.text)-1], t.col+open)
}

// parseWaitStatus reads exit(N), signal(SIG) or a number, as FormatWaitStatus prints.
func parseWaitStatus(s string, col int) (int, error) {
	t := token{text: s, col: col}
	lower := strings.ToLower(s)
	switch {
	case strings.HasPrefix(lower, "exit("):
		code, err := parseCall(t, "exit", func(arg string, col int) (int64, error) {
			v, err := toInt64(arg, col, "exit code")
			if err == nil && (v < 0 || v > 255) {
				err = errAt(col, "exit code %s out of range 0..255", arg)
			}
			return v, err
		})
		return WaitExited(int(code)), err
	case strings.HasPrefix(lower, "signal("):
		sig, err := parseCall(t, "signal", func(arg string, col int) (int64, error) {
			v, err := parseSignalText(arg, col)
			if err == nil && (v < 1 || v >= 0x7f) {
				err = errAt(col, "signal %s out of range 1..126 for a wait status", arg)
			}
			return v, err
		})
		return WaitSignaled(int(sig)), err
	case isNumber(s):
		v, err := toBits(s, col, "wait status")
		return int(v), err
	}
	return 0, errAt(col, "expected exit(N), signal(SIG) or a number as wait status, got %q", s)
}

// token is one whitespace-separated word of a line.
type token struct {
	text   string // the word; for a quoted word, its unquoted value
	col    int    // 1-based byte column of its first byte
	quoted bool   // written as a Go-quoted string
}

// tokenize splits s at spaces and tabs. A word starting with '"' is a Go
// double-quoted string and must be followed by a space, a tab or the end.
func tokenize(s string) ([]token, error) {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		if c == ' ' || c == '\t' {
			i++
			continue
		}
		start := i
		if c == '"' {
			q, err := strconv.QuotedPrefix(s[i:])
			if err != nil {
				return nil, errAt(i+1, "unterminated or malformed quoted string")
			}
			text, err := strconv.Unquote(q)
			if err != nil {
				return nil, errAt(i+1, "malformed quoted string: %v", err)
			}
			i += len(q)
			if i < len(s) && s[i] != ' ' && s[i] != '\t' {
				return nil, errAt(i+1, "expected a space after the quoted string")
			}
			toks = append(toks, token{text: text, col: start + 1, quoted: true})
			continue
		}
		for i < len(s) && s[i] != ' ' && s[i] != '\t' {
			switch {
			case s[i] == '"':
				return nil, errAt(i+1, "unexpected '\"' inside a word (quote the whole word)")
			case s[i] < ' ' || s[i] == 0x7f:
				return nil, errAt(i+1, "control character %q (quote the word)", s[i])
			}
			i++
		}
		toks = append(toks, token{text: s[start:i], col: start + 1})
	}
	return toks, nil
}

// argParser reads a syscall's arguments one by one. The first error sticks:
// later reads return zero values, and err reports where the text went wrong.
type argParser struct {
	call string
	toks []token
	end  int // column just past the text, for "missing" errors
	err  error
}

// next takes the next argument, which must be a bare word unless quoteOK.
func (p *argParser) next(what string, quoteOK bool) (token, bool) {
	if p.err != nil {
		return token{}, false
	}
	if len(p.toks) == 0 {
		p.err = errAt(p.end, "%s: missing %s", p.call, what)
		return token{}, false
	}
	t := p.toks[0]
	p.toks = p.toks[1:]
	if t.quoted && !quoteOK {
		p.err = errAt(t.col, "%s: %s: unexpected quoted string", p.call, what)
		return token{}, false
	}
	return t, true
}

func (p *argParser) fail(err error) {
	if se, ok := err.(*SyntaxError); ok {
		se.Msg = p.call + ": " + se.Msg
	}
	p.err = err
}

func (p *argParser) word(what string) string {
	t, _ := p.next(what, true)
	return t.text
}

func (p *argParser) uint64(what string) uint64 {
	t, ok := p.next(what, false)
	if !ok {
		return 0
	}
	v, err := toUint64(t.text, t.col, what)
	if err != nil {
		p.fail(err)
	}
	return v
}

func (p *argParser) int64(what string) int64 {
	t, ok := p.next(what, false)
	if !ok {
		return 0
	}
	v, err := toInt64(t.text, t.col, what)
	if err != nil {
		p.fail(err)
	}
	return v
}

func (p *argParser) int(what string) int {
	t, ok := p.next(what, false)
	if !ok {
		return 0
	}
	v, err := toInt64(t.text, t.col, what)
	if err == nil && (v < math.MinInt || v > math.MaxInt) {
		err = errAt(t.col, "%s %s out of range", what, t.text)
	}
	if err != nil {
		p.fail(err)
	}
	return int(v)
}

// flags reads NAME|NAME|number; numbers are raw bits (a lone negative number
// is its two's complement).
func (p *argParser) flags(what string, names []flagName) uint64 {
	t, ok := p.next(what, false)
	if !ok {
		return 0
	}
	var v uint64
	err := eachPart(t, func(part string, col int) error {
		if isNumber(part) {
			b, err := toBits(part, col, what)
			v |= b
			return err
		}
		b, ok := lookupName(names, part)
		if !ok {
			return errAt(col, "%s: unknown name %q (want %s, or a number)", what, part, nameList(names))
		}
		v |= b
		return nil
	})
	if err != nil {
		p.fail(err)
	}
	return v
}

// cloneFlags reads legacy clone flags: CLONE_* names and raw numbers, and at
// most one signal name, which goes into the low byte (CSIGNAL).
func (p *argParser) cloneFlags() uint64 {
	t, ok := p.next("flags", false)
	if !ok {
		return 0
	}
	var v uint64
	sigSeen := false
	err := eachPart(t, func(part string, col int) error {
		if isNumber(part) {
			b, err := toBits(part, col, "flags")
			v |= b
			return err
		}
		if b, ok := lookupName(cloneNames, part); ok {
			v |= b
			return nil
		}
		sig, ok := signalByName(part)
		switch {
		case !ok:
			return errAt(col, "flags: unknown name %q (want CLONE_* names, one signal, or a number)", part)
		case sigSeen:
			return errAt(col, "flags: a second termination signal %q", part)
		}
		sigSeen = true
		v |= uint64(sig)
		return nil
	})
	if err != nil {
		p.fail(err)
	}
	return v
}

// enum reads one name from names or a signed number.
func (p *argParser) enum(what string, names []flagName) int64 {
	t, ok := p.next(what, false)
	if !ok {
		return 0
	}
	if isNumber(t.text) {
		v, err := toInt64(t.text, t.col, what)
		if err != nil {
			p.fail(err)
		}
		return v
	}
	v, ok := lookupName(names, t.text)
	if !ok {
		p.fail(errAt(t.col, "%s: unknown name %q (want %s, or a number)", what, t.text, nameList(names)))
	}
	return int64(v)
}

// signal reads a signal name or a signed number (any int: validity is the
// backend's business, and a bad signal must reach it to earn its EINVAL).
func (p *argParser) signal(what string) int {
	t, ok := p.next(what, false)
	if !ok {
		return 0
	}
	v, err := parseSignalText(t.text, t.col)
	if err == nil && (v < math.MinInt || v > math.MaxInt) {
		err = errAt(t.col, "%s %s out of range", what, t.text)
	}
	if err != nil {
		p.fail(err)
	}
	return int(v)
}

// signalU64 reads clone3's exit_signal: a signal name or an unsigned number.
func (p *argParser) signalU64(what string) uint64 {
	t, ok := p.next(what, false)
	if !ok {
		return 0
	}
	if isNumber(t.text) {
		v, err := toUint64(t.text, t.col, what)
		if err != nil {
			p.fail(err)
		}
		return v
	}
	sig, ok := signalByName(t.text)
	if !ok {
		p.fail(errAt(t.col, "%s: unknown signal %q", what, t.text))
	}
	return uint64(sig)
}

// sigset reads SIG|SIG|…, each part one signal by name or number 1..64; a
// lone 0 is the empty set.
func (p *argParser) sigset(what string) SigSet {
	t, ok := p.next(what, false)
	if !ok {
		return 0
	}
	if t.text == "0" {
		return 0
	}
	var set SigSet
	err := eachPart(t, func(part string, col int) error {
		sig, err := parseSignalText(part, col)
		if err != nil {
			return err
		}
		if sig < 1 || sig > NSIG {
			return errAt(col, "%s: signal %s out of range 1..%d (a set lists signals, not a bit mask)", what, part, NSIG)
		}
		set |= SigBit(int(sig))
		return nil
	})
	if err != nil {
		p.fail(err)
	}
	return set
}

// eachPart calls f for every '|'-separated part of t with its column.
func eachPart(t token, f func(part string, col int) error) error {
	col := t.col
	for _, part := range strings.Split(t.text, "|") {
		if part == "" {
			return errAt(col, "empty part in %q", t.text)
		}
		if err := f(part, col); err != nil {
			return err
		}
		col += len(part) + 1
	}
	return nil
}

// lookupName finds s in names, ignoring case.
func lookupName(names []flagName, s string) (uint64, bool) {
	for _, n := range names {
		if strings.EqualFold(n.name, s) {
			return n.val, true
		}
	}
	return 0, false
}

func nameList(names []flagName) string {
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n.name
	}
	return strings.Join(parts, ", ")
}

// signalAliases are the other names Linux headers give some signals.
var signalAliases = map[string]int{"SIGIOT": SIGABRT, "SIGPOLL": SIGIO, "SIGCLD": SIGCHLD}

// signalByName finds a signal by name: SIGTERM, TERM (any case), SIGRTMIN,
// SIGRTMIN+N, SIGRTMAX, SIGRTMAX-N.
func signalByName(s string) (int, bool) {
	u := strings.ToUpper(s)
	if !strings.HasPrefix(u, "SIG") {
		u = "SIG" + u
	}
	for sig, n := range signalNames {
		if n != "" && n == u {
			return sig, true
		}
	}
	if sig, ok := signalAliases[u]; ok {
		return sig, true
	}
	rt := func(prefix string, base, sign int) (int, bool) {
		rest, ok := strings.CutPrefix(u, prefix)
		if !ok {
			return 0, false
		}
		if rest == "" {
			return base, true
		}
		if (sign > 0 && rest[0] != '+') || (sign < 0 && rest[0] != '-') {
			return 0, false
		}
		n, err := strconv.ParseUint(rest[1:], 10, 8)
		if err != nil {
			return 0, false
		}
		sig := base + sign*int(n)
		return sig, sig >= SIGRTMIN && sig <= NSIG
	}
	if sig, ok := rt("SIGRTMIN", SIGRTMIN, 1); ok {
		return sig, true
	}
	return rt("SIGRTMAX", NSIG, -1)
}

// parseSignalText reads a signal name or a signed number.
func parseSignalText(s string, col int) (int64, error) {
	if isNumber(s) {
		return toInt64(s, col, "signal")
	}
	sig, ok := signalByName(s)
	if !ok {
		return 0, errAt(col, "unknown signal %q", s)
	}
	return int64(sig), nil
}

// isNumber reports whether s looks like a number rather than a name.
func isNumber(s string) bool {
	return s != "" && (s[0] >= '0' && s[0] <= '9' || s[0] == '-' || s[0] == '+')
}

// parseNum reads a Go integer literal with an optional sign.
func parseNum(s string, col int, what string) (neg bool, mag uint64, err error) {
	digits := s
	if digits != "" && (digits[0] == '-' || digits[0] == '+') {
		neg, digits = digits[0] == '-', digits[1:]
	}
	mag, perr := strconv.ParseUint(digits, 0, 64)
	if perr != nil {
		if ne, ok := perr.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return false, 0, errAt(col, "%s %s out of range", what, s)
		}
		return false, 0, errAt(col, "%s: bad number %q", what, s)
	}
	return neg, mag, nil
}

func toUint64(s string, col int, what string) (uint64, error) {
	neg, mag, err := parseNum(s, col, what)
	if err == nil && neg && mag != 0 {
		err = errAt(col, "%s %s must not be negative", what, s)
	}
	if err != nil {
		return 0, err
	}
	return mag, nil
}

func toInt64(s string, col int, what string) (int64, error) {
	neg, mag, err := parseNum(s, col, what)
	switch {
	case err != nil:
		return 0, err
	case neg && mag <= 1<<63:
		return int64(-mag), nil // two's complement: -(1<<63) stays MinInt64
	case !neg && mag <= math.MaxInt64:
		return int64(mag), nil
	}
	return 0, errAt(col, "%s %s out of range", what, s)
}

// toBits reads a number as a bit pattern: unsigned up to 2^64-1, or negative
// down to -2^63 (its two's complement), as flag words print negative values.
func toBits(s string, col int, what string) (uint64, error) {
	neg, mag, err := parseNum(s, col, what)
	switch {
	case err != nil:
		return 0, err
	case neg && mag > 1<<63:
		return 0, errAt(col, "%s %s out of range", what, s)
	case neg:
		return -mag, nil
	}
	return mag, nil
}

// parseRetSet reads sigset(SIGA|SIGB) as a return value: the set's bits
// (sigpending, sigprocmask with old).
func parseRetSet(t token) (uint64, error) {
	var set SigSet
	_, err := parseCall(t, "sigset", func(arg string, col int) (int64, error) {
		if arg == "0" {
			return 0, nil
		}
		return 0, eachPart(token{text: arg, col: col}, func(part string, col int) error {
			sig, err := parseSignalText(part, col)
			if err == nil && (sig < 1 || sig > NSIG) {
				err = errAt(col, "signal %s out of range 1..%d", part, NSIG)
			}
			set |= SigBit(int(sig))
			return err
		})
	})
	return uint64(set), err
}

// parseRetAction reads action(DISP|FLAGS) as a return value (OldAction:
// sigaction with old).
func parseRetAction(t token) (uint64, error) {
	var ret uint64
	_, err := parseCall(t, "action", func(arg string, col int) (int64, error) {
		disp := -1
		var flags uint64
		err := eachPart(token{text: arg, col: col}, func(part string, col int) error {
			if d, ok := lookupName(dispNames, part); ok && disp < 0 {
				disp = int(d)
				return nil
			}
			if isNumber(part) {
				b, err := toBits(part, col, "sa_flags")
				flags |= b
				return err
			}
			b, ok := lookupName(saNames, part)
			if !ok {
				return errAt(col, "action: unknown name %q (want SIG_DFL, SIG_IGN or handler, then SA_* flags)", part)
			}
			flags |= b
			return nil
		})
		if err == nil && disp < 0 {
			err = errAt(col, "action: missing the disposition (SIG_DFL, SIG_IGN or handler)")
		}
		ret = OldAction(Disposition(max(disp, 0)), flags)
		return 0, err
	})
	return ret, err
}
