package linux

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"time"
)

// Report kinds sent by the agent on the shared report pipe (agent.c REP_*).
const (
	repHello   = 1 // a task started: payload host tid, getpid, getppid, start kind
	repResult  = 2 // a command finished: Ret is the raw syscall return
	repPong    = 3 // answer to opPing: subreaper flag and the 64 actions
	repHandled = 4 // a handler ran: Tid is the handling process, payload the signal and the thread
)

// Start kinds in a hello report (agent.c START_*).
const (
	startInit  = 1
	startChild = 2
	startExec  = 3
)

// Command ops (agent.c OP_*). The syscall ops follow abi's syscall types.
const (
	opPing      = 1
	opPeek      = 2
	opBench     = 3
	opUnreserve = 4
	opRead      = 5 // load the words at the addresses of the payload (pages.go)
)

// The syscall ops, from OP_FORK = 10 on.
const (
	opFork = 10 + iota
	opVfork
	opClone
	opClone3
	opExecve
	opExit
	opExitGroup
	opWait4
	opGetpid
	opGetppid
	opGettid
	opPrctl
	opMmap
	opMunmap
	opMprotect
	opMadvise
	opLoad
	opStore
	opOpen
	opClose
	opDup
	opFcntl
	opWrite
	opLseek
	opUmask
	opSigaction
	opSigprocmask
	opKill
	opPipe2
	opReadFd
	opDup2
	opDup3
	opFutex
	opTgkill
	opTkill
	opSigpending
)

// Identity probes on a kernel without kcmp (identity.go; agent.c OP_*).
const (
	opSigflip    = 6
	opSigrestore = 7
	opFlflip     = 8
)

// command is one request to an agent task: the header of agent.c struct cmd
// followed by Payload bytes.
type command struct {
	Seq     uint64
	Op      uint64
	Args    [5]uint64
	Payload []byte
}

// encode lays the command out as agent.c reads it.
func (c command) encode() []byte {
	b := make([]byte, 64+len(c.Payload))
	binary.LittleEndian.PutUint64(b[0:], c.Seq)
	binary.LittleEndian.PutUint64(b[8:], c.Op)
	for i, a := range c.Args {
		binary.LittleEndian.PutUint64(b[16+8*i:], a)
	}
	binary.LittleEndian.PutUint64(b[56:], uint64(len(c.Payload)))
	copy(b[64:], c.Payload)
	return b
}

// report is one message from an agent task (agent.c struct rep).
type report struct {
	Kind  uint64
	Tid   int
	Seq   uint64
	Ret   int64
	Words []uint64
}

// errno returns the errno of a raw syscall return, or 0 for success.
func (r *report) errno() int {
	if r.Ret < 0 && r.Ret > -4096 {
		return int(-r.Ret)
	}
	return 0
}

func (r *report) word(i int) uint64 {
	if i < len(r.Words) {
		return r.Words[i]
	}
	return 0
}

// reportReader reads framed reports from the report pipe with deadlines.
// Every report is written by the agent in one write of at most PIPE_BUF
// bytes, so a report that has begun to arrive is complete.
type reportReader struct {
	f  *os.File
	br *bufio.Reader
}

func newReportReader(f *os.File) *reportReader {
	return &reportReader{f: f, br: bufio.NewReaderSize(f, 1<<16)}
}

// errTimeout means no report arrived within the wait.
var errTimeout = errors.New("timeout")

// next returns the next report, waiting at most d.
func (rr *reportReader) next(d time.Duration) (*report, error) {
	if rr.br.Buffered() == 0 {
		if err := rr.f.SetReadDeadline(time.Now().Add(d)); err != nil {
			return nil, err
		}
	}
	var h [40]byte
	if _, err := io.ReadFull(rr.br, h[:]); err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return nil, errTimeout
		}
		return nil, err
	}
	r := &report{
		Kind: binary.LittleEndian.Uint64(h[0:]),
		Tid:  int(int64(binary.LittleEndian.Uint64(h[8:]))),
		Seq:  binary.LittleEndian.Uint64(h[16:]),
		Ret:  int64(binary.LittleEndian.Uint64(h[24:])),
	}
	n := binary.LittleEndian.Uint64(h[32:])
	if n > 512 {
		return nil, errors.New("corrupt report stream")
	}
	if n > 0 {
		// The rest of the message is already in the pipe; no deadline needed.
		_ = rr.f.SetReadDeadline(time.Time{})
		buf := make([]byte, 8*n)
		if _, err := io.ReadFull(rr.br, buf); err != nil {
			return nil, err
		}
		r.Words = make([]uint64, n)
		for i := range r.Words {
			r.Words[i] = binary.LittleEndian.Uint64(buf[8*i:])
		}
	}
	return r, nil
}
