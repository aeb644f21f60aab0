# forkspec — make targets. Every target runs real work; see README.md.
GO ?= go
# FUZZTIME is how long each fuzz target runs under `make fuzz`; FUZZMINIMIZE
# bounds the minimization of each new input (a count of runs, or a time).
FUZZTIME ?= 60s
FUZZMINIMIZE ?= 100x
# Tools the targets install themselves from the Go module proxy, pinned.
# They go to .bin/ (gitignored) whatever GOBIN or GOPATH say.
BIN := $(CURDIR)/.bin
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: test verify check props fuzz mutate linux bench uml

# The tests: every package, the corpus traces and the executable docs.
test:
	$(GO) test ./...

# Formatting, vet, go.mod tidiness, staticcheck, and the package import
# rules (scripts/importcheck.sh says them).
verify:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) mod tidy -diff
	GOBIN=$(BIN) $(GO) install $(STATICCHECK)
	$(BIN)/staticcheck ./...
	./scripts/importcheck.sh

# The main job: a random lockstep search, model vs impl, with its summary.
check:
	$(GO) run ./cmd/forkspec check

# The long property search: twelve properties, 20,000 runs of ~200 steps
# each (the six of life_test.go half as many: suite.share), about two and
# a half hours on 2 cores (200 runs of the first six took 62 s in all, of
# the other six 19 s). Each property logs a progress line with the time
# left at every tenth of its runs.
PROPS := TestRefinement|TestFrameConservation|TestCOWIsolation|TestVforkFreeze|TestExecResets|TestCloneValidation|TestDontForkWipeOnFork|TestSignalInheritance|TestReparentTarget|TestAutoReap|TestWaitEligibility|TestSharedOffsets
props:
	$(GO) test ./props -v -count=1 -timeout 6h -run '^($(PROPS))$$' \
	  -rapid.checks=20000 -rapid.steps=200 -props.progress

# Coverage-guided fuzzing: the parsers and the lockstep machine, FUZZTIME
# each, then a table of execs/s per target.
fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) FUZZMINIMIZE=$(FUZZMINIMIZE) ./scripts/fuzz.sh \
	  abi:FuzzParseSyscall abi:FuzzParseResult traces:FuzzParse docs:FuzzParsePage \
	  props:FuzzRefinement props:FuzzImplProperties

# Mutation testing of impl/ with gremlins v0.6.0 against the props suites:
# the number of mutants first, then one line per mutant with the time left.
# MUTATE_TIME=5m stops it after that long with the partial counts.
mutate:
	BIN=$(BIN) ./props/mutate.sh

# A long random run of the model against the real kernel (root, cc or gcc).
linux:
	$(GO) test ./linux -count=1 -timeout 3h -run 'TestRandomAgainstModel' \
	  -linux.runs=1000 -linux.steps=40 -linux.budget=2h

# The kernel under test (docs/kernel-under-test.md): the corpus, every spec
# and a 300-run random search on a kernel booted as User-Mode Linux, by
# default Debian's 6.1 (apt-get install user-mode-linux; nothing is
# installed here). UML_KERNEL=path/to/linux checks another, e.g. a tree
# built with make ARCH=um.
UML_KERNEL ?= /usr/bin/linux.uml
uml:
	@test -x $(UML_KERNEL) || { echo "make uml: no User-Mode Linux kernel at $(UML_KERNEL): apt-get install user-mode-linux, or UML_KERNEL=path/to/linux"; exit 1; }
	$(GO) run ./cmd/forkspec replay -backend model,uml -uml-kernel $(UML_KERNEL) traces/*.trace
	FORKSPEC_REQUIRE_UML=1 $(GO) test ./docs -count=1 -run TestSpecsUML -uml -uml-kernel $(UML_KERNEL)
	FORKSPEC_REQUIRE_UML=1 $(GO) test ./uml -count=1 -timeout 3h -run TestRandomAgainstModel -v \
	  -uml.kernel $(UML_KERNEL) -uml.runs=300 -uml.steps=40 -uml.budget=2h

# Benchmarks: impl (fork/vfork/clone/exec/exit/faults by size) and real Linux.
bench:
	$(GO) test ./impl ./linux -run '^$$' -bench . -benchtime 1x
