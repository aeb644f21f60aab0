package abi

// Image is one entry of the fixed image table (WORLD-2): the memory layout
// that execve gives a task. Every backend builds exactly this layout.
type Image struct {
	Name     string
	Mappings []ImageMapping
}

// ImageMapping is one anonymous mapping of an image. Values[i], when nonzero,
// is the initial word of page i; such a page is stored to at exec time and so
// holds its own frame. Pages with no value (or 0) are untouched.
type ImageMapping struct {
	Addr   uint64
	Pages  uint64
	Prot   int64
	Flags  int64 // MAP_PRIVATE or MAP_SHARED, always with MAP_ANONYMOUS
	Values []uint64
}

// The image table. Layouts sit in the arena; "worker" has a data mapping
// straddling a 2 MiB boundary and a shared page, so that exec'd tasks exercise
// several page tables and MAP_SHARED at once.
var Images = map[string]Image{
	"init": {Name: "init", Mappings: []ImageMapping{
		{Addr: ArenaStart, Pages: 1, Prot: PROT_READ, Flags: MAP_PRIVATE | MAP_ANONYMOUS, Values: []uint64{0x11}},
		{Addr: ArenaStart + 0x200000, Pages: 2, Prot: PROT_READ | PROT_WRITE, Flags: MAP_PRIVATE | MAP_ANONYMOUS, Values: []uint64{0x21, 0x22}},
	}},
	"sh": {Name: "sh", Mappings: []ImageMapping{
		{Addr: ArenaStart, Pages: 1, Prot: PROT_READ, Flags: MAP_PRIVATE | MAP_ANONYMOUS, Values: []uint64{0x51}},
		{Addr: ArenaStart + 0x200000, Pages: 1, Prot: PROT_READ | PROT_WRITE, Flags: MAP_PRIVATE | MAP_ANONYMOUS, Values: []uint64{0x52}},
	}},
	"true": {Name: "true", Mappings: []ImageMapping{
		{Addr: ArenaStart, Pages: 1, Prot: PROT_READ, Flags: MAP_PRIVATE | MAP_ANONYMOUS, Values: []uint64{0x71}},
	}},
	"worker": {Name: "worker", Mappings: []ImageMapping{
		{Addr: ArenaStart, Pages: 1, Prot: PROT_READ, Flags: MAP_PRIVATE | MAP_ANONYMOUS, Values: []uint64{0x91}},
		{Addr: ArenaStart + 0x1fe000, Pages: 4, Prot: PROT_READ | PROT_WRITE, Flags: MAP_PRIVATE | MAP_ANONYMOUS, Values: []uint64{0x92, 0, 0x93}},
		{Addr: ArenaStart + 0x40000000, Pages: 1, Prot: PROT_READ | PROT_WRITE, Flags: MAP_SHARED | MAP_ANONYMOUS, Values: []uint64{0x99}},
	}},
}

// ImageNames lists the image table's names in sorted order.
var ImageNames = []string{"init", "sh", "true", "worker"}

// Files is the fixed set of paths open(2) accepts; every other path is ENOENT.
// Each starts empty when the world starts.
var Files = []string{"a", "b", "c"}

// FdLimit is RLIMIT_NOFILE for every task: open and dup fail EMFILE when no
// fd below it is free.
const FdLimit = 16
