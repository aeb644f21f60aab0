package linux

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/forkspec/forkspec/abi"
)

// Observing the trace's private pages without disturbing them.
//
// Which pages hold a data frame, and which frame, comes from
// /proc/PID/pagemap, which walks the page tables and takes no page
// reference. The pages are found with the PAGEMAP_SCAN ioctl (Linux 6.7),
// which skips unpopulated ranges a page-table level at a time, so a 16 TiB
// PROT_NONE mapping costs what its populated pages cost; before 6.7 the
// fallback reads pagemap in bounded chunks, skipping mappings whose smaps
// Rss is zero.
//
// A page's value is read by a task of its address space with a plain load
// (the agent's OP_READ), never through /proc/PID/mem: a read there goes
// through get_user_pages_remote, whose reference on the page can outlive the
// read (in the reading CPU's folio batch, mm/swap.c), and a store by the
// page's owner then sees a page someone else holds and copies it instead of
// reusing it (COW-3, do_wp_page → wp_can_reuse_anon_folio). A load takes no
// reference. It is only made on a page pagemap shows present (a load of an
// absent page would fault one in) and readable (a fault in the agent would
// be a signal to the trace's task).
//
// A page no task can load — in a PROT_NONE or execute-only mapping, or in an
// address space whose every task is a frozen vfork parent — is read from
// what the driver knows of its frame instead (Kernel.values, by PFN). A
// private frame's content is set when the frame is made: by a trace store
// (the storing task's page then holds the stored value, whether the store
// wrote in place or into a copy, COW-2/3), or by an exec'd image's layout;
// it changes only by a later store to it, and a store from another address
// space that maps the frame copies it first. Every successful store and
// exec records its frames (learnValues), every View records what it loaded,
// so the values are known without a load. Should one be missing all the
// same, the page is read through /proc/PID/mem and counted in
// Kernel.intrusiveReads, which the tests require to stay zero.

// PAGEMAP_SCAN (include/uapi/linux/fs.h): _IOWR('f', 16, struct pm_scan_arg).
const (
	pagemapScan   = 0xc0606610
	pageIsPresent = 1 << 3
	pageIsPFNZero = 1 << 5
)

// pmScanArg is struct pm_scan_arg.
type pmScanArg struct {
	size, flags, start, end, walkEnd, vec, vecLen, maxPages       uint64
	categoryInverted, categoryMask, categoryAnyofMask, returnMask uint64
}

// pageRegion is struct page_region: [start, end) with the same categories.
type pageRegion struct{ start, end, categories uint64 }

// scanChunk bounds the pagemap entries and page regions read at once.
const scanChunk = 512

// noPageScan is set once the kernel has refused PAGEMAP_SCAN, so that the
// fallback is used from then on; tests set it to exercise the fallback.
var noPageScan atomic.Bool

// pagemapFile is an open /proc/PID/pagemap with the counters the tests use
// to bound the work of a View.
type pagemapFile struct {
	f *os.File
	// entries counts the pagemap entries read; scans the ioctls made.
	entries, scans int
}

// populated calls fn for each run [start, end) of pages of [start, end)
// that hold a data frame (present, not the zero page). The runs come in
// address order and each is at most scanChunk pages long.
func (pm *pagemapFile) populated(m mapping, fn func(start, end uint64) error) error {
	if !noPageScan.Load() {
		err := pm.scan(m.Start, m.End, fn)
		if !errors.Is(err, errNoPageScan) {
			return err
		}
		noPageScan.Store(true)
	}
	if m.Rss == 0 {
		return nil // nothing mapped (the zero page is not counted in Rss)
	}
	for at := m.Start; at < m.End; at += scanChunk * abi.PageSize {
		end := min(m.End, at+scanChunk*abi.PageSize)
		if err := fn(at, end); err != nil {
			return err
		}
	}
	return nil
}

// errNoPageScan: the kernel refused the first PAGEMAP_SCAN (before 6.7).
var errNoPageScan = errors.New("no PAGEMAP_SCAN")

// scan walks [start, end) with PAGEMAP_SCAN, asking for present pages that
// are not the zero page. It returns errNoPageScan, having called fn for
// nothing, when the kernel does not know the ioctl.
func (pm *pagemapFile) scan(start, end uint64, fn func(start, end uint64) error) error {
	first := true
	// On the heap, which the collector does not move: the kernel writes
	// it through the address in arg, out of the compiler's sight.
	vec := make([]pageRegion, scanChunk/8)
	for start < end {
		arg := pmScanArg{
			size: uint64(unsafe.Sizeof(pmScanArg{})), start: start, end: end,
			vec: uint64(uintptr(unsafe.Pointer(&vec[0]))), vecLen: uint64(len(vec)),
			maxPages:         scanChunk,
			categoryInverted: pageIsPFNZero, categoryMask: pageIsPresent | pageIsPFNZero,
			returnMask: pageIsPresent,
		}
		n, _, e := syscall.Syscall(syscall.SYS_IOCTL, pm.f.Fd(), pagemapScan, uintptr(unsafe.Pointer(&arg)))
		pm.scans++
		if e != 0 {
			if first && (e == syscall.ENOTTY || e == syscall.EINVAL) {
				return errNoPageScan
			}
			return fmt.Errorf("PAGEMAP_SCAN at %#x: %w", start, e)
		}
		first = false
		for _, r := range vec[:n] {
			for at := r.start; at < r.end; at += scanChunk * abi.PageSize {
				if err := fn(at, min(r.end, at+scanChunk*abi.PageSize)); err != nil {
					return err
				}
			}
		}
		if arg.walkEnd <= start {
			return fmt.Errorf("PAGEMAP_SCAN made no progress at %#x", start)
		}
		start = arg.walkEnd
	}
	return nil
}

// frames returns the pagemap entries of the pages of [start, end), at most
// scanChunk of them, into buf.
func (pm *pagemapFile) frames(start, end uint64, buf []uint64) ([]uint64, error) {
	n := int((end - start) / abi.PageSize)
	if n > scanChunk || n > cap(buf) {
		return nil, fmt.Errorf("pagemap read of %d pages (at most %d)", n, scanChunk)
	}
	var raw [8 * scanChunk]byte
	if _, err := pm.f.ReadAt(raw[:8*n], int64(start/abi.PageSize*8)); err != nil {
		return nil, fmt.Errorf("pagemap at %#x: %w", start, err)
	}
	pm.entries += n
	out := buf[:n]
	for i := range out {
		out[i] = binary.LittleEndian.Uint64(raw[8*i:])
	}
	return out, nil
}

// dataFrame returns the PFN of a pagemap entry when it names a data frame:
// present, and neither PFN 0 (hidden) nor the zero page (COW-7).
func dataFrame(e, zero uint64) (uint64, bool) {
	pfn := e & pfnMask
	if e>>63 == 0 || pfn == 0 || pfn == zero {
		return 0, false
	}
	return pfn, true
}

const pfnMask = 1<<55 - 1

var (
	zeroOnce sync.Once
	zeroPFN  uint64
	zeroErr  error
)

// zeroFrame returns the PFN of the kernel's shared zero page, found by
// reading an untouched private page of our own and looking it up in
// /proc/self/pagemap (COW-7: pages backed by it hold no data frame).
func zeroFrame() (uint64, error) {
	zeroOnce.Do(func() {
		b, err := syscall.Mmap(-1, 0, abi.PageSize, syscall.PROT_READ, syscall.MAP_PRIVATE|syscall.MAP_ANON)
		if err != nil {
			zeroErr = err
			return
		}
		defer syscall.Munmap(b)
		if b[0] != 0 { // this load faults in the zero page
			zeroErr = fmt.Errorf("a fresh anonymous page reads %#x, not 0", b[0])
			return
		}
		f, err := os.Open("/proc/self/pagemap")
		if err != nil {
			zeroErr = err
			return
		}
		defer f.Close()
		pm := &pagemapFile{f: f}
		addr := uint64(uintptrOf(b))
		e, err := pm.frames(addr, addr+abi.PageSize, make([]uint64, 1))
		if err != nil {
			zeroErr = err
			return
		}
		if e[0]>>63 == 0 {
			zeroErr = errors.New("zero page not present after a load")
			return
		}
		zeroPFN = e[0] & pfnMask
	})
	return zeroPFN, zeroErr
}

// privatePage is a page of a private mapping that holds a data frame.
type privatePage struct {
	addr, pfn uint64
	loadable  bool // its mapping can be read by a load (x86: PROT_READ or PROT_WRITE)
}

// loadable reports whether a load from the mapping succeeds on a present
// page: x86 cannot map a page writable but not readable, and an
// execute-only mapping (PROT_EXEC alone, a protection key on this CPU) or
// PROT_NONE faults. On a kernel whose write-only pages may fault
// (Space.WriteOnlyFaults) only a readable mapping is.
func (m mapping) loadable() bool {
	return m.Perms[0] == 'r' || m.Perms[1] == 'w' && !space.WriteOnlyFaults
}

// readsPerCommand bounds the addresses of one OP_READ (agent.c MAXWORDS).
const readsPerCommand = 200

// pageValues reads the value of every page in ps as seen by the address
// space of task dir's process; reader is a task of that address space that
// can run commands (0 when none can); seen holds the values this View has
// read so far. It returns values[i] for ps[i].
func (k *Kernel) pageValues(dir string, reader int, ps []privatePage, seen map[uint64]uint64) ([]uint64, error) {
	values := make([]uint64, len(ps))
	var batch []int // indexes into ps loaded by the agent
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		c := command{Op: opRead, Args: [5]uint64{uint64(len(batch))}}
		c.Payload = make([]byte, 8*len(batch))
		for j, i := range batch {
			binary.LittleEndian.PutUint64(c.Payload[8*j:], ps[i].addr)
		}
		m, err := k.request(reader, c)
		if err != nil {
			return fmt.Errorf("task %d reading its pages: %w", reader, err)
		}
		if len(m.Words) != len(batch) {
			return fmt.Errorf("task %d read %d of %d pages", reader, len(m.Words), len(batch))
		}
		for j, i := range batch {
			values[i] = m.Words[j]
		}
		batch = batch[:0]
		return nil
	}
	var mem *os.File
	defer func() {
		if mem != nil {
			mem.Close()
		}
	}()
	known := func(pfn uint64) (uint64, bool) {
		if v, ok := seen[pfn]; ok {
			return v, true
		}
		v, ok := k.values[pfn]
		return v, ok
	}
	for i, p := range ps {
		switch v, cached := known(p.pfn); {
		case reader != 0 && p.loadable:
			batch = append(batch, i)
			if len(batch) == readsPerCommand {
				if err := flush(); err != nil {
					return nil, err
				}
			}
		case cached:
			values[i] = v
		default:
			// No task can load it and no earlier View saw it: the one
			// read that disturbs (see the top of this file).
			if mem == nil {
				var err error
				if mem, err = os.Open(filepath.Join(dir, "mem")); err != nil {
					return nil, err
				}
			}
			var b [8]byte
			if _, err := mem.ReadAt(b[:], int64(p.addr)); err != nil {
				return nil, fmt.Errorf("reading %#x of %s: %w", p.addr, dir, err)
			}
			k.intrusiveReads++
			values[i] = binary.LittleEndian.Uint64(b[:])
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return values, nil
}

// privatePages lists the pages of the private mapping m of the task at dir
// that hold a data frame, with their PFNs.
func privatePages(pm *pagemapFile, m mapping, zero uint64) ([]privatePage, error) {
	var out []privatePage
	buf := make([]uint64, scanChunk)
	err := pm.populated(m, func(start, end uint64) error {
		ents, err := pm.frames(start, end, buf)
		if err != nil {
			return err
		}
		for i, e := range ents {
			if pfn, ok := dataFrame(e, zero); ok {
				out = append(out, privatePage{addr: start + uint64(i)*abi.PageSize, pfn: pfn, loadable: m.loadable()})
			}
		}
		return nil
	})
	return out, err
}

// FrameID implements abi.FrameNamer: the PFN of the data frame behind the
// page holding addr in task tid's address space, from /proc/PID/pagemap
// (stable while the frame lives; COW-3 reuse keeps it). A MAP_SHARED page
// is named by its shmem object and page offset instead (its frame may not
// be mapped by this task yet, see sharedPages), as a number with the top
// bit set that this Kernel never reuses. ok is false for a missing or
// zombie task, an address outside the trace's mappings, a page without a
// data frame (COW-7), or when the world cannot be observed (see Err).
func (k *Kernel) FrameID(tid int, addr uint64) (uint64, bool) {
	id, ok, err := k.frameID(tid, addr)
	if err != nil {
		k.fail(fmt.Errorf("naming the frame of %d:%#x: %w", tid, addr, err))
		return 0, false
	}
	return id, ok
}

func (k *Kernel) frameID(tid int, addr uint64) (uint64, bool, error) {
	if k.err != nil || k.closed {
		return 0, false, nil
	}
	t, ok, err := k.findTask(tid)
	if err != nil || !ok || t.State == 'Z' || t.State == 'X' {
		return 0, false, err
	}
	dir := k.taskDir(t.Tgid, t.Tid)
	maps, err := readSmaps(filepath.Join(dir, "smaps"))
	if err != nil {
		return 0, false, err
	}
	page := addr &^ (abi.PageSize - 1)
	for _, m := range maps {
		if page < m.Start || page >= m.End || m.agentOwned() {
			continue
		}
		if m.Perms[3] == 's' {
			off := m.Offset + (page - m.Start)
			ok, err := shmemHasPage(filepath.Join(k.nsproc, strconv.Itoa(t.Tid)), m, off)
			if err != nil || !ok {
				return 0, false, err
			}
			return k.sharedID(shmemKey(m, off)), true, nil
		}
		zero, err := zeroFrame()
		if err != nil {
			return 0, false, err
		}
		f, err := os.Open(filepath.Join(dir, "pagemap"))
		if err != nil {
			return 0, false, err
		}
		defer f.Close()
		e, err := (&pagemapFile{f: f}).frames(page, page+abi.PageSize, make([]uint64, 1))
		if err != nil {
			return 0, false, err
		}
		pfn, ok := dataFrame(e[0], zero)
		return pfn, ok, nil
	}
	return 0, false, nil
}

// sharedID is the stable identity of a shmem frame key (see FrameID).
func (k *Kernel) sharedID(key string) uint64 {
	if id, ok := k.shmIDs[key]; ok {
		return id
	}
	id := 1<<63 | uint64(len(k.shmIDs)+1)
	k.shmIDs[key] = id
	return id
}

// mmView observes the address space of task rep: the trace's mappings (all
// but the agent's own, see agentOwned; in practice the arena) with the
// DONTFORK "dc" and WIPEONFORK "wf" VmFlags of smaps, and the pages that
// hold a data frame. reader is a task of the address space that can run a
// command, 0 when none can (see pageValues). seen collects the value of
// every private frame observed, by PFN, for the next View.
func (k *Kernel) mmView(rep procTask, reader int, frames map[string]int, seen map[uint64]uint64) (abi.MmView, error) {
	var mv abi.MmView
	dir := k.taskDir(rep.Tgid, rep.Tid)
	maps, err := readSmaps(filepath.Join(dir, "smaps"))
	if err != nil {
		return mv, err
	}
	zero, err := zeroFrame()
	if err != nil {
		return mv, err
	}
	frame := func(key string) int {
		if id, ok := frames[key]; ok {
			return id
		}
		frames[key] = len(frames) + 1
		return frames[key]
	}
	var pm *pagemapFile
	defer func() {
		if pm != nil {
			k.pagemapEntries += pm.entries
			pm.f.Close()
		}
	}()
	for _, m := range maps {
		if m.agentOwned() {
			continue
		}
		shared := m.Perms[3] == 's'
		mv.Mappings = append(mv.Mappings, abi.MappingView{
			Start: m.Start, End: m.End, Prot: m.prot(), Shared: shared,
			DontFork: m.has("dc"), WipeOnFork: m.has("wf"),
		})
		if shared {
			// map_files is only in /proc/PID (not in task/TID); /proc/TID of
			// a thread is such a directory for the thread itself.
			pages, err := k.sharedPages(filepath.Join(k.nsproc, strconv.Itoa(rep.Tid)), m, frame)
			if err != nil {
				return mv, err
			}
			mv.Pages = append(mv.Pages, pages...)
			continue
		}
		if pm == nil {
			f, err := os.Open(filepath.Join(dir, "pagemap"))
			if err != nil {
				return mv, err
			}
			pm = &pagemapFile{f: f}
		}
		ps, err := privatePages(pm, m, zero)
		if err != nil {
			return mv, err
		}
		values, err := k.pageValues(dir, reader, ps, seen)
		if err != nil {
			return mv, err
		}
		for i, p := range ps {
			seen[p.pfn] = values[i]
			mv.Pages = append(mv.Pages, abi.PageView{Addr: p.addr, Value: values[i], Frame: frame("pfn:" + strconv.FormatUint(p.pfn, 10))})
		}
	}
	return mv, nil
}

// sharedPages observes a MAP_SHARED mapping through its shmem object
// (/proc/PID/map_files): a page holds a frame when the object has it in its
// page cache (SEEK_DATA), whether or not this process has faulted it in —
// fork does not copy shared page-table entries, yet the child maps the same
// frames (MEM-2, COW-4). The frame's identity is (object, page offset).
// Holes are skipped whole, so a huge sparse mapping costs its data pages.
func (k *Kernel) sharedPages(dir string, m mapping, frame func(string) int) ([]abi.PageView, error) {
	f, err := openMapFile(dir, m)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fd := int(f.Fd())
	var out []abi.PageView
	end := int64(m.Offset + (m.End - m.Start))
	for off := int64(m.Offset); off < end; {
		data, err := syscall.Seek(fd, off, seekData)
		if err != nil || data >= end {
			break // ENXIO: no data past off
		}
		hole, err := syscall.Seek(fd, data, seekHole)
		if err != nil {
			return nil, err
		}
		hole = min(hole, end)
		for p := data &^ (abi.PageSize - 1); p < hole; p += abi.PageSize {
			var b [8]byte
			if _, err := f.ReadAt(b[:], p); err != nil {
				return nil, err
			}
			out = append(out, abi.PageView{Addr: m.Start + uint64(p) - m.Offset, Value: binary.LittleEndian.Uint64(b[:]), Frame: frame(shmemKey(m, uint64(p)))})
		}
		off = hole
	}
	return out, nil
}

const seekData, seekHole = 3, 4

func openMapFile(dir string, m mapping) (*os.File, error) {
	return os.Open(filepath.Join(dir, "map_files", fmt.Sprintf("%x-%x", m.Start, m.End)))
}

// shmemKey names the frame at byte offset off of m's shmem object.
func shmemKey(m mapping, off uint64) string {
	return fmt.Sprintf("shm:%s:%d:%d", m.Dev, m.Inode, off/abi.PageSize)
}

// shmemHasPage reports whether m's shmem object has a frame for the page
// at byte offset off (see sharedPages).
func shmemHasPage(dir string, m mapping, off uint64) (bool, error) {
	f, err := openMapFile(dir, m)
	if err != nil {
		return false, err
	}
	defer f.Close()
	data, err := syscall.Seek(int(f.Fd()), int64(off), seekData)
	if err != nil {
		return false, nil // ENXIO: no data at or past off
	}
	return uint64(data) < off+abi.PageSize, nil
}

// learnValues records the frames a step made and their values (see the top
// of this file): the page a successful store wrote, and the pages an
// exec'd image starts with. t is the task that performed sc.
func (k *Kernel) learnValues(t procTask, sc abi.Syscall, r abi.Result) error {
	var pages map[uint64]uint64 // address -> value
	tid, tgid := t.Tid, t.Tgid
	switch s := sc.(type) {
	case abi.Store:
		if r.Outcome != abi.OutcomeOK || r.Err != 0 {
			return nil
		}
		pages = map[uint64]uint64{s.Addr &^ (abi.PageSize - 1): s.Value}
	case abi.Execve:
		if r.Outcome != abi.OutcomeExeced {
			return nil
		}
		tid = tgid // a thread's exec takes over its leader's pid (EXEC-5)
		pages = map[uint64]uint64{}
		for _, m := range abi.Images[s.Image].Mappings {
			if m.Flags&abi.MAP_SHARED != 0 {
				continue // read from its shmem object
			}
			for i, v := range m.Values {
				if v != 0 {
					pages[imageAddr(m.Addr)+uint64(i)*abi.PageSize] = v
				}
			}
		}
	default:
		return nil
	}
	zero, err := zeroFrame()
	if err != nil {
		return err
	}
	// The way into the namespace's procfs may have gone with the step (a
	// non-leader's exec retires the thread whose root it used).
	if err := k.ensureRoot(); err != nil {
		return err
	}
	f, err := os.Open(filepath.Join(k.taskDir(tgid, tid), "pagemap"))
	if err != nil {
		return fmt.Errorf("recording what %v stored: %w", sc, err)
	}
	defer f.Close()
	pm := &pagemapFile{f: f}
	buf := make([]uint64, 1)
	if k.values == nil {
		k.values = map[uint64]uint64{}
	}
	for addr, v := range pages {
		e, err := pm.frames(addr, addr+abi.PageSize, buf)
		if err != nil {
			return err
		}
		if pfn, ok := dataFrame(e[0], zero); ok {
			k.values[pfn] = v
		}
	}
	return nil
}
