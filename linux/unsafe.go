package linux

import "unsafe"

// uintptrOf is the address of a byte slice's first element.
func uintptrOf(b []byte) uintptr { return uintptr(unsafe.Pointer(&b[0])) }
