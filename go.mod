module github.com/forkspec/forkspec

go 1.26
