package uml

import (
	"os"
	"testing"
)

// TestMain serves as the guest's init when the test binary is booted as
// one (MaybeGuest), and powers off the shared machine after the tests.
func TestMain(m *testing.M) {
	MaybeGuest()
	code := m.Run()
	CloseShared()
	os.Exit(code)
}
