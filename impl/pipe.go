package impl

import "github.com/forkspec/forkspec/abi"

// pipeObj is a pipe (pipe_inode_info): a ring of abi.PipeSlots page buffers
// and the counts of open read and write ends (struct files with refs > 0).
type pipeObj struct {
	id int
	// ring holds n buffers starting at head. Invariant: n <= PipeSlots;
	// each buffer in use has 0 < len, off+len <= PageSize.
	ring    [abi.PipeSlots]struct{ off, len int64 }
	head, n int
	// readers and writers count the open ends (0 or 1 each: pipe2 makes
	// one struct file per end). Invariant: == count of openFiles with
	// refs > 0 on this pipe per end.
	readers, writers int
	// rq and wq are the task sleeping in a read and in a write (abi.Refusal
	// keeps it to one each), nil when none.
	rq, wq *task
}

func (p *pipeObj) slot(i int) *struct{ off, len int64 } {
	return &p.ring[(p.head+i)%abi.PipeSlots]
}

// bytes is FIONREAD.
func (p *pipeObj) bytes() int64 {
	var b int64
	for i := 0; i < p.n; i++ {
		b += p.slot(i).len
	}
	return b
}

// fput drops one reference to an open file; the last closes a pipe end
// (pipe_release), waking the sleepers of the other side.
func (k *Kernel) fput(f *openFile) {
	f.refs--
	if f.refs > 0 || f.pipe == nil {
		return
	}
	p := f.pipe
	if f.wr {
		p.writers--
		if p.writers == 0 && p.rq != nil {
			k.wake(p.rq)
		}
	} else {
		p.readers--
		if p.readers == 0 && p.wq != nil {
			k.wake(p.wq)
		}
	}
}

// sysPipe2 is pipe2(2): two fds, read end lowest.
func (k *Kernel) sysPipe2(t *task, p abi.Pipe2) abi.Result {
	if p.Flags&^abi.PipeFlagsValid != 0 {
		return abi.Fail(abi.EINVAL)
	}
	r := t.files.lowestFree()
	w := -1
	if r >= 0 {
		w = t.files.lowestFreeFrom(r + 1) // every fd below r is in use
	}
	if w < 0 {
		return abi.Fail(abi.EMFILE)
	}
	po := &pipeObj{id: k.newID(), readers: 1, writers: 1}
	ce := p.Flags&abi.O_CLOEXEC != 0
	t.files.fds[r] = fdSlot{file: &openFile{id: k.newID(), path: "pipe", refs: 1, pipe: po}, cloexec: ce}
	t.files.fds[w] = fdSlot{file: &openFile{id: k.newID(), path: "pipe", refs: 1, pipe: po, wr: true}, cloexec: ce}
	return abi.Ok(0)
}

// pipeRead starts a read of a pipe (pipe_read).
func (k *Kernel) pipeRead(t *task, f *openFile, c abi.Read) abi.Result {
	n := min(c.N, abi.MaxRWCount)
	if n == 0 {
		return abi.Ok(0)
	}
	s := &sleep{call: c, file: f, left: n}
	if r, ok := k.pipeReadOnce(s); ok {
		return r
	}
	f.refs++ // fdget for the length of the sleep
	f.pipe.rq = t
	return k.sleepOn(t, s)
}

// pipeReadOnce takes what the pipe holds, up to the count; EOF without a
// writer; false when the read must sleep.
func (k *Kernel) pipeReadOnce(s *sleep) (abi.Result, bool) {
	p := s.file.pipe
	if p.n == 0 {
		if p.writers == 0 {
			k.leavePipe(s)
			return abi.Ok(0), true
		}
		return abi.Result{}, false
	}
	freed := false
	var got int64
	for left := s.left; left > 0 && p.n > 0; {
		b := p.slot(0)
		c := min(b.len, left)
		b.off += c
		b.len -= c
		left -= c
		got += c
		if b.len == 0 {
			*b = struct{ off, len int64 }{}
			p.head = (p.head + 1) % abi.PipeSlots
			p.n--
			freed = true
		}
	}
	if freed && p.wq != nil {
		k.wake(p.wq)
	}
	k.leavePipe(s)
	return abi.Ok(uint64(got)), true
}

// leavePipe drops a finishing sleeper's place on its pipe's queue.
func (k *Kernel) leavePipe(s *sleep) {
	p := s.file.pipe
	if _, w := s.call.(abi.Write); w {
		if p.wq != nil && p.wq.sl == s {
			p.wq = nil
		}
	} else if p.rq != nil && p.rq.sl == s {
		p.rq = nil
	}
}

// pipeWrite starts a write to a pipe (pipe_write).
func (k *Kernel) pipeWrite(t *task, f *openFile, c abi.Write) abi.Result {
	n := min(c.N, abi.MaxRWCount)
	if n == 0 {
		return abi.Ok(0)
	}
	s := &sleep{call: c, file: f, left: n}
	if r, ok := k.pipeWriteOnce(t, s, true); ok {
		return r
	}
	f.refs++
	f.pipe.wq = t
	return k.sleepOn(t, s)
}

// pipeWriteOnce is one pass of pipe_write: SIGPIPE and EPIPE (or what was
// written) without a reader; else the sub-page remainder merges into the
// last buffer on the first pass only, if all of it fits; then pages while
// slots are free. false when bytes are left and the pipe is full.
func (k *Kernel) pipeWriteOnce(t *task, s *sleep, first bool) (abi.Result, bool) {
	p := s.file.pipe
	if p.readers == 0 {
		k.sendSignalTo(t, abi.SIGPIPE)
		k.leavePipe(s)
		if s.done > 0 {
			return abi.Ok(uint64(s.done)), true
		}
		return abi.Fail(abi.EPIPE), true
	}
	before := s.done
	if rem := s.left % abi.PageSize; first && rem != 0 && p.n > 0 {
		if b := p.slot(p.n - 1); b.off+b.len+rem <= abi.PageSize {
			b.len += rem
			s.left -= rem
			s.done += rem
		}
	}
	for s.left > 0 && p.n < abi.PipeSlots {
		c := min(s.left, abi.PageSize)
		*p.slot(p.n) = struct{ off, len int64 }{0, c}
		p.n++
		s.left -= c
		s.done += c
	}
	if s.done > before && p.rq != nil {
		k.wake(p.rq)
	}
	if s.left == 0 {
		k.leavePipe(s)
		return abi.Ok(uint64(s.done)), true
	}
	return abi.Result{}, false
}
