package impl

// pte is a page-table entry packed in a uint64, in the x86-64 layout: bit 0
// present, bit 1 writable, bit 2 user, two software bits (9: the page belongs
// to a MAP_SHARED mapping, 10: the page is copy-on-write), and the frame
// number from bit 12. Upper-level entries use the same layout and point to the
// frame of the next table.
type pte uint64

const (
	ptePresent pte = 1 << 0
	pteWrite   pte = 1 << 1
	pteUser    pte = 1 << 2
	pteShared  pte = 1 << 9
	pteCOW     pte = 1 << 10

	pteFrameShift     = 12
	pteFrameMask  pte = ((1 << 40) - 1) << pteFrameShift
)

// mkPTE builds a present user entry for frame with the given extra bits.
func mkPTE(frame uint32, bits pte) pte {
	return pte(frame)<<pteFrameShift | ptePresent | pteUser | bits
}

func (e pte) present() bool  { return e&ptePresent != 0 }
func (e pte) writable() bool { return e&pteWrite != 0 }
func (e pte) frame() uint32  { return uint32((e & pteFrameMask) >> pteFrameShift) }
