package model

import "maps"

// Clone returns a deep copy of the whole world: every object is copied once
// and every pointer that was shared is shared again in the copy (a CLONE_VM
// pair still holds one *mm). The property suite uses it to check that a
// refused step changes nothing and to branch explorations; Step uses it to
// undo a step that turns out to be unsupported.
func (k *Kernel) Clone() *Kernel {
	c := &Kernel{
		cfg:         k.cfg,
		limit:       k.limit,
		target:      k.target,
		machine:     k.machine,
		sparse:      maps.Clone(k.sparse),
		tasks:       make(map[int]*task, len(k.tasks)),
		nextTid:     k.nextTid,
		nextID:      k.nextID,
		nextToken:   k.nextToken,
		nextSeq:     k.nextSeq,
		sizes:       maps.Clone(k.sizes),
		unsupported: k.unsupported,
	}
	cp := copier{
		tasks:  map[*task]*task{},
		groups: map[*group]*group{},
		mms:    map[*mm]*mm{},
		objs:   map[*shmObj]*shmObj{},
		fds:    map[*fdTable]*fdTable{},
		files:  map[*openFile]*openFile{},
		sighs:  map[*sighand]*sighand{},
		fss:    map[*fsInfo]*fsInfo{},
		pipes:  map[*pipe]*pipe{},
	}
	for tid, t := range k.tasks {
		c.tasks[tid] = cp.task(t)
	}
	return c
}

// copier deep-copies the object graph, each object once.
type copier struct {
	tasks  map[*task]*task
	groups map[*group]*group
	mms    map[*mm]*mm
	objs   map[*shmObj]*shmObj
	fds    map[*fdTable]*fdTable
	files  map[*openFile]*openFile
	sighs  map[*sighand]*sighand
	fss    map[*fsInfo]*fsInfo
	pipes  map[*pipe]*pipe
}

func (cp *copier) task(t *task) *task {
	if t == nil {
		return nil
	}
	if n, ok := cp.tasks[t]; ok {
		return n
	}
	n := &task{}
	cp.tasks[t] = n
	*n = *t
	n.group = cp.group(t.group)
	n.mm = cp.mm(t.mm)
	n.files = cp.fdTable(t.files)
	n.sighand = cp.sighand(t.sighand)
	n.fs = cp.fs(t.fs)
	n.vforkParent = cp.task(t.vforkParent)
	n.handled = maps.Clone(t.handled)
	if t.ret != nil {
		r := *t.ret
		n.ret = &r
	}
	if w := t.wait; w != nil {
		nw := *w
		nw.file = cp.file(w.file)
		nw.key.mm = cp.mm(w.key.mm)
		if o := w.key.obj; o != nil {
			no, ok := cp.objs[o]
			if !ok { // no longer mapped where the copier has been so far
				no = &shmObj{id: o.id, pages: maps.Clone(o.pages)}
				cp.objs[o] = no
			}
			nw.key.obj = no
		}
		n.wait = &nw
	}
	return n
}

func (cp *copier) group(g *group) *group {
	if g == nil {
		return nil
	}
	if n, ok := cp.groups[g]; ok {
		return n
	}
	n := &group{}
	cp.groups[g] = n
	*n = *g
	n.handled = maps.Clone(g.handled)
	n.currTarget = cp.task(g.currTarget)
	n.leader = cp.task(g.leader)
	n.parent = cp.task(g.parent)
	n.threads = make([]*task, len(g.threads))
	for i, t := range g.threads {
		n.threads[i] = cp.task(t)
	}
	return n
}

func (cp *copier) mm(m *mm) *mm {
	if m == nil {
		return nil
	}
	if n, ok := cp.mms[m]; ok {
		return n
	}
	n := cloneMm(m, cp.objs)
	cp.mms[m] = n
	return n
}

func (cp *copier) fdTable(f *fdTable) *fdTable {
	if f == nil {
		return nil
	}
	if n, ok := cp.fds[f]; ok {
		return n
	}
	n := &fdTable{}
	*n = *f
	for i := range n.fds {
		n.fds[i].file = cp.file(f.fds[i].file)
	}
	cp.fds[f] = n
	return n
}

func (cp *copier) file(f *openFile) *openFile {
	if f == nil {
		return nil
	}
	if n, ok := cp.files[f]; ok {
		return n
	}
	n := &openFile{}
	*n = *f
	if f.pipe != nil {
		if np, ok := cp.pipes[f.pipe]; ok {
			n.pipe = np
		} else {
			np := &pipe{id: f.pipe.id, bufs: append([]pipeBuf(nil), f.pipe.bufs...)}
			cp.pipes[f.pipe] = np
			n.pipe = np
		}
	}
	cp.files[f] = n
	return n
}

func (cp *copier) sighand(h *sighand) *sighand {
	if h == nil {
		return nil
	}
	if n, ok := cp.sighs[h]; ok {
		return n
	}
	n := &sighand{}
	*n = *h
	cp.sighs[h] = n
	return n
}

func (cp *copier) fs(f *fsInfo) *fsInfo {
	if f == nil {
		return nil
	}
	if n, ok := cp.fss[f]; ok {
		return n
	}
	n := &fsInfo{}
	*n = *f
	cp.fss[f] = n
	return n
}
