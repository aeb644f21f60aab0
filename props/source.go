package props

import (
	"sync"

	"github.com/forkspec/forkspec/gen"
	"pgregory.net/rapid"
)

// rapidSource is a gen.Source over rapid's draws: they are logged with their
// labels and shrink toward 0, gen's most ordinary choice.
type rapidSource struct{ t *rapid.T }

// FromRapid returns a gen.Source drawing from t.
func FromRapid(t *rapid.T) gen.Source { return rapidSource{t} }

// ranges caches one rapid generator per bound: building one per draw costs
// more than the draw.
var ranges sync.Map // int -> *rapid.Generator[int]

func (s rapidSource) Intn(n int, label string) int {
	if n <= 1 {
		return 0
	}
	g, ok := ranges.Load(n)
	if !ok {
		g, _ = ranges.LoadOrStore(n, rapid.IntRange(0, n-1))
	}
	return g.(*rapid.Generator[int]).Draw(s.t, label)
}
