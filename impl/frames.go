package impl

import "fmt"

// Frame pool geometry. Metadata lives in chunks of chunkFrames frames that are
// allocated the first time a frame in them is handed out, so a pool of 2^22
// frames costs nothing until used.
const (
	chunkShift  = 12
	chunkFrames = 1 << chunkShift
	chunkMask   = chunkFrames - 1

	// DefaultFrames is the pool size when no WithFrames option is given:
	// 2^22 frames of 4 KiB = 16 GiB of simulated physical memory.
	DefaultFrames = 1 << 22

	// zeroFrame is the kernel's single shared zero page (COW-7, Linux's
	// ZERO_PAGE). It is allocated first, pinned, and never written.
	zeroFrame uint32 = 0
)

// frameMeta is the per-frame metadata, analogous to Linux's struct page
// (_refcount, _mapcount) plus the page's one 64-bit word of content.
type frameMeta struct {
	// val is the word at the start of the page.
	// Invariant: 0 for the zero frame and for page-table frames.
	val uint64
	// ref counts references: one per present PTE mapping the frame, one for a
	// shared-memory object that holds it, one for a page table that is it.
	// Invariant: ref == 0 exactly when the frame is free; the zero frame is
	// pinned with ref 1 and its PTE mappings are not counted (as in Linux).
	ref int32
	// mapc counts present PTEs mapping the frame (Linux's mapcount).
	// Invariant: mapc <= ref; mapc == ref for a private data frame.
	mapc int32
}

// framePool is simulated physical memory: total frames, handed out by alloc
// and returned by put when their last reference goes.
type framePool struct {
	// total is the pool size. Invariant: used + len(free) + (total-next) == total.
	total uint32
	// chunks[i] holds metadata for frames [i*chunkFrames, (i+1)*chunkFrames);
	// nil until a frame in it is first allocated.
	chunks []*[chunkFrames]frameMeta
	// next is the high-water mark: frames >= next were never handed out.
	next uint32
	// free holds returned frames, reused last-in first-out.
	// Invariant: every frame in free is < next, has ref 0, and appears once.
	free []uint32
	// used is the number of frames with ref > 0.
	used uint32
	// spareLeaves and spareUppers recycle the Go objects of freed page-table
	// pages, so that fork and exit do not churn the Go heap. A table is
	// freed only when empty, so a recycled one is already zeroed.
	// Invariant: every spare table has n == 0 and no present entry.
	spareLeaves, spareUppers []*ptPage
	// tableShares, tableUnshares and tableReuses count on-demand fork's
	// leaf-table events (ondemand.go); kept here because the page-table
	// code that makes them sees only the pool.
	tableShares, tableUnshares, tableReuses uint64
}

// newFramePool returns a pool of total frames with the zero frame allocated.
func newFramePool(total uint32) framePool {
	if total < 1 {
		total = 1
	}
	p := framePool{total: total, chunks: make([]*[chunkFrames]frameMeta, (uint64(total)+chunkMask)>>chunkShift)}
	f, _ := p.alloc()
	if f != zeroFrame {
		panic("impl: zero frame is not frame 0")
	}
	return p
}

// meta returns the metadata of an allocated (or once allocated) frame.
// Precondition: f < p.next.
func (p *framePool) meta(f uint32) *frameMeta {
	return &p.chunks[f>>chunkShift][f&chunkMask]
}

// alloc hands out a frame with ref 1, mapc 0 and content 0. ok is false when
// the pool is exhausted (the caller turns that into ENOMEM or an OOM kill).
func (p *framePool) alloc() (f uint32, ok bool) {
	if n := len(p.free); n > 0 {
		f = p.free[n-1]
		p.free = p.free[:n-1]
	} else {
		if p.next >= p.total {
			return 0, false
		}
		f = p.next
		p.next++
		if c := f >> chunkShift; p.chunks[c] == nil {
			p.chunks[c] = new([chunkFrames]frameMeta)
		}
	}
	*p.meta(f) = frameMeta{ref: 1}
	p.used++
	return f, true
}

// put drops one reference to f and frees it when that was the last one.
// A refcount underflow cannot happen in a consistent kernel: it panics.
func (p *framePool) put(f uint32) {
	m := p.meta(f)
	if m.ref <= 0 {
		panic(fmt.Sprintf("impl: refcount underflow on frame %d (ref %d, mapc %d)", f, m.ref, m.mapc))
	}
	m.ref--
	if m.ref == 0 {
		m.val, m.mapc = 0, 0
		p.free = append(p.free, f)
		p.used--
	}
}

// available is the number of frames alloc can still hand out.
func (p *framePool) available() uint32 {
	return uint32(len(p.free)) + (p.total - p.next)
}
