# forkspec — make targets. Every target runs real work; see README.md.
GO ?= go

.PHONY: test verify check props fuzz mutate linux bench

# The tests: every package, the corpus traces and the executable docs.
test:
	$(GO) test ./...

# Formatting, vet, and the import rules of shared/design.md.
verify:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	./scripts/importcheck.sh
