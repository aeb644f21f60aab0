# forkspec — make targets. Every target runs real work; see README.md.
GO ?= go
# FUZZTIME is how long each fuzz target runs under `make fuzz`.
FUZZTIME ?= 60s

.PHONY: test verify check props fuzz mutate linux bench uml

# The tests: every package, the corpus traces and the executable docs.
test:
	$(GO) test ./...

# Formatting, vet, and the import rules of shared/design.md.
verify:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	./scripts/importcheck.sh

# The main job: a random lockstep search, model vs impl, with its summary.
check:
	$(GO) run ./cmd/forkspec check

# The long property search (about an hour on 2 cores).
props:
	$(GO) test ./props -count=1 -timeout 3h \
	  -run 'TestRefinement|TestFrameConservation|TestCOWIsolation|TestVforkFreeze|TestExecResets|TestCloneValidation' \
	  -rapid.checks=20000 -rapid.steps=200

# Coverage-guided fuzzing: the parsers and the lockstep machine, FUZZTIME each.
fuzz:
	$(GO) test ./abi -run '^$$' -fuzz '^FuzzParseSyscall$$' -fuzztime $(FUZZTIME)
	$(GO) test ./abi -run '^$$' -fuzz '^FuzzParseResult$$' -fuzztime $(FUZZTIME)
	$(GO) test ./traces -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME)
	$(GO) test ./docs -run '^$$' -fuzz '^FuzzParsePage$$' -fuzztime $(FUZZTIME)
	$(GO) test ./props -run '^$$' -fuzz '^FuzzRefinement$$' -fuzztime $(FUZZTIME)
	$(GO) test ./props -run '^$$' -fuzz '^FuzzImplProperties$$' -fuzztime $(FUZZTIME)

# Mutation testing of impl/ with gremlins v0.6.0 against the props suites.
mutate:
	./props/mutate.sh

# A long random run of the model against the real kernel (root, cc).
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
