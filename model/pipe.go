package model

import "github.com/forkspec/forkspec/abi"

// pipe is a pipe (pipe_inode_info): a ring of at most abi.PipeSlots page
// buffers. Its two ends are open files (openFile.pipe); the pipe lives
// while one of them does. Readers and writers are not counted: an end is
// open while some fd of a live task, or a sleeping call (waitState.file),
// refers to its open file (pipeEnds), which is exactly when Linux's
// pipe->readers or pipe->writers is nonzero (each end is one struct file).
type pipe struct {
	id int
	// bufs are the buffers, oldest first. Invariant: len(bufs) <=
	// abi.PipeSlots; each has 0 < len and off+len <= abi.PageSize.
	bufs []pipeBuf
}

// pipeBuf is one page buffer: bytes [off, off+len) of its page hold data.
type pipeBuf struct{ off, len int64 }

// check reports the first broken invariant of p, "" if none.
func (p *pipe) check() string {
	if len(p.bufs) > abi.PipeSlots {
		return "more buffers than slots"
	}
	for _, b := range p.bufs {
		if b.len <= 0 || b.off < 0 || b.off+b.len > abi.PageSize {
			return "a buffer outside its page, or empty"
		}
	}
	return ""
}

// bytes is what FIONREAD reports: every byte in the pipe.
func (p *pipe) bytes() int64 {
	var n int64
	for _, b := range p.bufs {
		n += b.len
	}
	return n
}

// full is pipe_full: every slot holds a buffer.
func (p *pipe) full() bool { return len(p.bufs) >= abi.PipeSlots }

// put copies up to n bytes in as pipe_write does and returns how many went
// in. first is the call's first pass: only then is the remainder of the
// count modulo a page merged into the last buffer, and only if all of it
// fits there (so a write of at most PIPE_BUF bytes is never split); the
// rest fills fresh pages, a page at a time, while slots are free.
func (p *pipe) put(n int64, first bool) int64 {
	var put int64
	if chars := n & (abi.PageSize - 1); first && chars != 0 && len(p.bufs) > 0 {
		last := &p.bufs[len(p.bufs)-1]
		if last.off+last.len+chars <= abi.PageSize {
			last.len += chars
			put += chars
			n -= chars
		}
	}
	for n > 0 && !p.full() {
		c := min(n, abi.PageSize)
		p.bufs = append(p.bufs, pipeBuf{len: c})
		put += c
		n -= c
	}
	return put
}

// take removes up to n bytes, oldest first, as pipe_read does, releasing
// each buffer it empties, and returns how many it took.
func (p *pipe) take(n int64) int64 {
	var got int64
	for n > 0 && len(p.bufs) > 0 {
		b := &p.bufs[0]
		c := min(b.len, n)
		b.off += c
		b.len -= c
		got += c
		n -= c
		if b.len == 0 {
			p.bufs = p.bufs[1:]
		}
	}
	return got
}

// pipeEnds reports which ends of p are open: some live task's fd refers
// to the end's open file, or a sleeping read or write holds it.
func (k *Kernel) pipeEnds(p *pipe) (readers, writers bool) {
	for _, tid := range k.sortedTids() {
		t := k.tasks[tid]
		if t.wait != nil && t.wait.file != nil && t.wait.file.pipe == p {
			readers = readers || !t.wait.file.writeEnd
			writers = writers || t.wait.file.writeEnd
		}
		if t.files == nil {
			continue
		}
		for _, sl := range t.files.fds {
			if sl.file != nil && sl.file.pipe == p {
				readers = readers || !sl.file.writeEnd
				writers = writers || sl.file.writeEnd
			}
		}
	}
	return readers, writers
}

// pipeSleeper returns the task sleeping in a read (write false) or a write
// (write true) on p, or nil. abi.Refusal keeps it to one of each.
func (k *Kernel) pipeSleeper(p *pipe, write bool) *task {
	for _, t := range k.sleepers() {
		if w := t.wait; w.file != nil && w.file.pipe == p && w.file.writeEnd == write {
			return t
		}
	}
	return nil
}

// wakePipes wakes every pipe sleeper whose other end has just closed: a
// reader whose pipe has no writer left (EOF), a writer whose pipe has no
// reader left (SIGPIPE, EPIPE). pipe_release wakes both queues when the
// last reader or writer goes; sleepers in tid order (a pipe has at most one
// of each, abi.Refusal).
func (k *Kernel) wakePipes() {
	for _, t := range k.sleepers() {
		w := t.wait
		if w.file == nil {
			continue
		}
		readers, writers := k.pipeEnds(w.file.pipe)
		if (w.file.writeEnd && !readers) || (!w.file.writeEnd && !writers) {
			k.enqueue(t)
		}
	}
}

// sysPipe2 is pipe2(2) (PIPE-1): the read end takes the lowest free fd,
// the write end the next (both are reserved before either is installed,
// __do_pipe_flags); EMFILE when two are not free, and then no pipe is
// left. Flags other than O_CLOEXEC|O_NONBLOCK|O_DIRECT|O_NOTIFICATION_PIPE
// are EINVAL; those but O_CLOEXEC were refused before the step.
func (k *Kernel) sysPipe2(t *task, s abi.Pipe2) abi.Result {
	if s.Flags&^abi.PipeFlagsValid != 0 {
		return abi.Fail(abi.EINVAL)
	}
	rfd, ok := t.files.lowestFree()
	if !ok {
		return abi.Fail(abi.EMFILE)
	}
	wfd, ok := t.files.lowestFreeFrom(rfd + 1) // every fd below rfd is in use
	if !ok {
		return abi.Fail(abi.EMFILE)
	}
	p := &pipe{id: k.newID()}
	cloexec := s.Flags&abi.O_CLOEXEC != 0
	t.files.fds[rfd] = fdSlot{file: &openFile{id: k.newID(), path: "pipe", pipe: p}, cloexec: cloexec}
	t.files.fds[wfd] = fdSlot{file: &openFile{id: k.newID(), path: "pipe", pipe: p, writeEnd: true}, cloexec: cloexec}
	return abi.Ok(0)
}

// pipeRead is read(2) on a pipe's read end (pipe_read, PIPE-2): a count of
// 0 returns 0; bytes there are taken at once, up to the count (they free
// slots, waking a sleeping writer); an empty pipe with no writer is EOF
// (0); an empty pipe with a writer sleeps until bytes come, the last
// writer goes, or a signal.
func (k *Kernel) pipeRead(t *task, s abi.Read, f *openFile) abi.Result {
	n := min(s.N, abi.MaxRWCount)
	if n == 0 {
		return abi.Ok(0)
	}
	w := &waitState{call: s, file: f, n: n}
	if r, done := k.pipeReadRetry(t, w); done {
		return r
	}
	return k.block(t, w)
}

// pipeReadRetry is one pass of pipe_read's loop for a read that has taken
// nothing yet.
func (k *Kernel) pipeReadRetry(t *task, w *waitState) (abi.Result, bool) {
	p := w.file.pipe
	if len(p.bufs) > 0 {
		before := len(p.bufs)
		got := p.take(w.n)
		if len(p.bufs) < before {
			if wr := k.pipeSleeper(p, true); wr != nil {
				k.enqueue(wr) // was_full: wake the writer
			}
		}
		return abi.Ok(uint64(got)), true
	}
	if _, writers := k.pipeEnds(p); !writers {
		return abi.Ok(0), true // EOF
	}
	return abi.Result{}, false
}

// pipeWrite is write(2) on a pipe's write end (pipe_write, PIPE-3): a count
// of 0 returns 0; with no reader the writer gets SIGPIPE and the call
// EPIPE; else the bytes go in as put says, waking a sleeping reader, and a
// write that does not fit sleeps, having put in what fit, until a read
// frees a slot, the last reader goes, or a signal (then it returns what it
// wrote, or restarts/EINTR if nothing).
func (k *Kernel) pipeWrite(t *task, s abi.Write, f *openFile) abi.Result {
	n := min(s.N, abi.MaxRWCount)
	if n == 0 {
		return abi.Ok(0)
	}
	w := &waitState{call: s, file: f, n: n}
	p := f.pipe
	if readers, _ := k.pipeEnds(p); !readers {
		k.sendThreadSignal(t, abi.SIGPIPE)
		return abi.Fail(abi.EPIPE)
	}
	k.pipePut(p, w, true)
	if w.n == 0 {
		return abi.Ok(uint64(w.written))
	}
	return k.block(t, w)
}

// pipePut puts what fits of w's remaining count into p, waking a reader
// sleeping on p when bytes went in.
func (k *Kernel) pipePut(p *pipe, w *waitState, first bool) {
	put := p.put(w.n, first)
	w.n -= put
	w.written += put
	if put > 0 {
		if rd := k.pipeSleeper(p, false); rd != nil {
			k.enqueue(rd)
		}
	}
}

// pipeWriteRetry is pipe_write's loop after a wake-up: no reader left is
// SIGPIPE and EPIPE, or the count written so far; else more bytes go in,
// and the call is done once all did.
func (k *Kernel) pipeWriteRetry(t *task, w *waitState) (abi.Result, bool) {
	p := w.file.pipe
	if readers, _ := k.pipeEnds(p); !readers {
		k.sendThreadSignal(t, abi.SIGPIPE)
		if w.written > 0 {
			return abi.Ok(uint64(w.written)), true
		}
		return abi.Fail(abi.EPIPE), true
	}
	k.pipePut(p, w, false)
	if w.n == 0 {
		return abi.Ok(uint64(w.written)), true
	}
	return abi.Result{}, false
}
