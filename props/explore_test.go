package props

import (
	"fmt"
	"os"
	"sort"
	"testing"

	"github.com/forkspec/forkspec/gen"
)

func TestExplore(t *testing.T) {
	if os.Getenv("EXPLORE") == "" {
		t.Skip()
	}
	var cov gen.Coverage
	outcomes := map[string]int{}
	tasks := 0
	steps := 0
	for seed := uint64(0); seed < 100; seed++ {
		m, _ := NewMachine(opts, CheckAll, Model)
		src := gen.FromRand(seed)
		for i := 0; i < 60; i++ {
			tid, sc := m.Gen.Next(src, m.View())
			r, err := m.Step(tid, sc)
			if err != nil {
				t.Fatalf("seed %d: %v", seed, err)
			}
			k := r.String(); if r.Err == 0 && !r.Outcome.Refused() && r.Outcome == 0 { k = "ok" }; outcomes[sc.Name()+" -> "+k]++
			tasks += len(m.View().Tasks)
			steps++
		}
		cov.Merge(&m.Cov)
	}
	fmt.Print(cov.String())
	var ks []string
	for k := range outcomes {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	for _, k := range ks {
		fmt.Printf("%6d %s\n", outcomes[k], k)
	}
	fmt.Println("avg tasks", float64(tasks)/float64(steps))
}
