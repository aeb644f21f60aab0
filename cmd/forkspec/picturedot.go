package main

import (
	"fmt"
	"io"
	"slices"

	"github.com/forkspec/forkspec/abi"
)

// writeDot draws the picture as one Graphviz digraph: processes nested by
// parenthood, each task pointing at its mm, each mm's pages pointing at
// their frames; COW pages' edges are red, shared ones blue. Node names are
// the stable names and every list is written in stable-name order, so the
// digraphs of successive steps differ only where the world did and dot
// lays them out alike.
func (p *picture) writeDot(w io.Writer, title string) {
	label := title
	if note := p.framesNote(); note != "" {
		label += "\n(" + note + ")"
	}
	fmt.Fprintf(w, "digraph %q {\n", title)
	fmt.Fprintf(w, "  label=%q; labelloc=t; rankdir=LR;\n", label)
	fmt.Fprintln(w, `  node [shape=box, fontname="monospace", fontsize=10];`)
	_, children, _ := p.processes()
	for _, t := range p.v.Tasks {
		style := ""
		switch t.State {
		case abi.Zombie:
			style = ", style=dashed"
		case abi.VforkFrozen:
			style = ", style=filled, fillcolor=lightblue"
		}
		fmt.Fprintf(w, "  t%d [label=%q%s];\n", t.Tid, p.taskText(t), style)
		if t.Tid != t.Tgid {
			fmt.Fprintf(w, "  t%d -> t%d [style=dotted, label=\"thread of\"];\n", t.Tid, t.Tgid)
		}
		if t.Mm != 0 {
			fmt.Fprintf(w, "  t%d -> mm%d;\n", t.Tid, p.name(kindMm, t.Mm))
		}
	}
	parents := make([]int, 0, len(children))
	for g := range children {
		parents = append(parents, g)
	}
	slices.Sort(parents)
	for _, g := range parents {
		for _, k := range children[g] {
			fmt.Fprintf(w, "  t%d -> t%d [label=\"child\"];\n", g, k)
		}
	}
	frames := map[int]int{} // stable name → canonical frame
	for _, m := range p.mms() {
		mm := p.name(kindMm, m.ID)
		fmt.Fprintf(w, "  subgraph cluster_mm%d {\n    label=\"mm%d\";\n    mm%d [shape=point];\n", mm, mm, mm)
		for _, mp := range m.Mappings {
			id := fmt.Sprintf("mm%d_%x", mm, mp.Start)
			fmt.Fprintf(w, "    %s [label=%q, shape=folder];\n    mm%d -> %s;\n", id, mappingText(mp), mm, id)
			for _, pg := range pagesIn(m, mp) {
				pid := fmt.Sprintf("mm%d_p%x", mm, pg.Addr)
				fmt.Fprintf(w, "    %s [label=%q];\n    %s -> %s;\n", pid, fmt.Sprintf("%#x = %#x", pg.Addr, pg.Value), id, pid)
			}
		}
		fmt.Fprintln(w, "  }")
		for _, mp := range m.Mappings {
			for _, pg := range pagesIn(m, mp) {
				color := ""
				switch p.pageMark(mp, pg) {
				case "COW":
					color = " [color=red, label=COW]"
				case "shared":
					color = " [color=blue]"
				}
				f := p.name(kindFrame, pg.Frame)
				frames[f] = pg.Frame
				fmt.Fprintf(w, "  mm%d_p%x -> f%d%s;\n", mm, pg.Addr, f, color)
			}
		}
	}
	names := make([]int, 0, len(frames))
	for f := range frames {
		names = append(names, f)
	}
	slices.Sort(names)
	for _, f := range names {
		extra := ""
		if p.n != nil && p.n.newFrames[f] {
			extra = "\\nnew"
		}
		fmt.Fprintf(w, "  f%d [shape=ellipse, label=\"frame %d\\nrefs %d%s\"];\n", f, f, p.refs[frames[f]], extra)
	}
	fmt.Fprintln(w, "}")
}
