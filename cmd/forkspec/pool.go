package main

import (
	"sync"
	"time"

	"github.com/forkspec/forkspec/gen"
)

// seqResult is what one sequence found and counted.
type seqResult struct {
	fail     *failure
	err      error // the backends could not start
	steps    int
	coverage gen.Coverage
	reducing time.Duration
	// interruptedAt is, when the run was stopped during this sequence,
	// the steps it had run; -1 otherwise.
	interruptedAt int
}

// pool runs the sequences of a check on cfg.jobs workers, at most window
// sequences ahead of the one check takes next, and hands their results
// over in sequence order.
type pool struct {
	cfg  checkConfig
	mu   sync.Mutex
	cond *sync.Cond
	// next is the next sequence to hand to a worker; taken the number
	// check took; ready the results not yet taken, by sequence index.
	next, taken int
	ready       map[int]*seqResult
	// quit tells the workers to start nothing more and end what they run.
	quit bool
	// steps counts the steps every worker ran and finished the sequences
	// they ended, for the progress bar; reducing the time they spent
	// shrinking failures.
	steps    int
	finished int
	reducing time.Duration
	workers  sync.WaitGroup
	// bar shows progress since start (guarded by mu).
	bar   *progress
	start time.Time
}

// window bounds how far the workers run ahead of check, in sequences per
// worker.
const window = 4

func newPool(cfg checkConfig, bar *progress, start time.Time) *pool {
	p := &pool{cfg: cfg, ready: map[int]*seqResult{}, bar: bar, start: start}
	p.cond = sync.NewCond(&p.mu)
	jobs := max(cfg.jobs, 1)
	p.workers.Add(jobs)
	for range jobs {
		go p.work()
	}
	return p
}

func (p *pool) work() {
	defer p.workers.Done()
	quit := func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.quit
	}
	// ticked counts the steps of the current sequence already added to
	// p.steps: its last one is added with the sequence's end, so that the
	// bar never shows a sequence's last step before the sequence ends.
	ticked := 0
	tick := func(last bool) {
		if last {
			return
		}
		p.mu.Lock()
		p.steps++
		p.draw()
		p.mu.Unlock()
		ticked++
	}
	for {
		p.mu.Lock()
		for !p.quit && p.next < p.cfg.sequences && p.next >= p.taken+window*max(p.cfg.jobs, 1) {
			p.cond.Wait()
		}
		if p.quit || p.next >= p.cfg.sequences {
			p.mu.Unlock()
			return
		}
		i := p.next
		p.next++
		p.mu.Unlock()
		ticked = 0
		r := sequence(p.cfg, p.cfg.seed+uint64(i), quit, tick)
		p.mu.Lock()
		p.ready[i] = &r
		p.steps += r.steps - ticked
		p.finished++
		p.reducing += r.reducing
		p.cond.Broadcast()
		p.mu.Unlock()
	}
}

// result waits for sequence i's result and takes it.
func (p *pool) result(i int) *seqResult {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.ready[i] == nil {
		p.cond.Wait()
	}
	r := p.ready[i]
	delete(p.ready, i)
	p.taken = i + 1
	p.cond.Broadcast()
	return r
}

// draw redraws the bar with the sequences the workers finished and the
// steps they ran, over the time not spent reducing (as if shared among the
// workers). The caller holds p.mu.
func (p *pool) draw() {
	p.bar.update(p.finished, p.steps, time.Since(p.start)-p.reducing/time.Duration(max(p.cfg.jobs, 1)))
}

// clearBar erases the bar before check prints.
func (p *pool) clearBar() {
	p.mu.Lock()
	p.bar.clear()
	p.mu.Unlock()
}

// stop ends the workers: what they still run is left unfinished, and the
// results not taken are dropped.
func (p *pool) stop() {
	p.mu.Lock()
	p.quit = true
	p.cond.Broadcast()
	p.mu.Unlock()
	p.workers.Wait()
}
