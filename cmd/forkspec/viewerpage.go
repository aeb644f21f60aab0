package main

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/forkspec/forkspec/traces"
)

// The HTML viewer is one template with its stylesheet and script, all
// embedded in the binary and inlined into the page, so the page needs no
// network and no other file: it works opened from disk (file://), mailed,
// or attached to a bug report. A Content-Security-Policy allows exactly the
// inlined style and script (by hash) and nothing else, so a page that
// tried to load anything would fail in the browser tests.
//
//go:embed assets/viewer.html assets/viewer.css assets/viewer.js
var viewerAssets embed.FS

// vPage is the whole page.
type vPage struct {
	Name     string // the trace's name
	Backends []string
	Multi    bool     // several backends side by side
	Intro    []string // the trace's header comments, as paragraphs
	Tail     []string // its comments after the last step
	Steps    []*vStep
	Last     int // the last step's index (the slider's max)
	Start    int // the step the page opens at
	// Divergence is the index of the step that diverged, -1 for none.
	Divergence int
	Failed     bool
	Verdict    string
	CSP        string
	CSS        template.CSS
	JS         template.JS
}

var (
	viewerCSS, viewerJS string
	viewerTemplate      *template.Template
)

func init() {
	css, err1 := viewerAssets.ReadFile("assets/viewer.css")
	js, err2 := viewerAssets.ReadFile("assets/viewer.js")
	if err := errors.Join(err1, err2); err != nil {
		panic(err) // embedded at build time: cannot fail
	}
	viewerCSS, viewerJS = string(css), string(js)
	viewerTemplate = template.Must(template.New("viewer.html").ParseFS(viewerAssets, "assets/viewer.html"))
}

// cspHash is the CSP source expression that allows exactly the inline
// element whose text is s.
func cspHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(h[:]) + "'"
}

// writeHTML runs t on bs and writes the page. start is the step the page
// opens at, -1 for the default (the divergence, else the initial state).
// It returns the run's failure, after writing the page up to it.
func writeHTML(w io.Writer, t *traces.Trace, bs []traces.Backend, start int) error {
	names := make([]string, len(bs))
	for i, b := range bs {
		names[i] = b.Name
	}
	page := &vPage{Name: t.Name, Backends: names, Multi: len(bs) > 1, Divergence: -1,
		Intro: paragraphs(t.Comments), Tail: paragraphs(t.Tail),
		CSS: template.CSS(viewerCSS), JS: template.JS(viewerJS),
		CSP: "default-src 'none'; style-src " + cspHash(viewerCSS) + "; script-src " + cspHash(viewerJS) +
			"; img-src data:; base-uri 'none'; form-action 'none'"}
	runErr := record(t, bs, func(sh *shot) {
		st := buildStep(t, sh, names)
		if st.Diverged {
			page.Divergence = len(page.Steps)
		}
		page.Steps = append(page.Steps, st)
	})
	if len(page.Steps) == 0 {
		return runErr
	}
	page.Last = len(page.Steps) - 1
	page.Failed = runErr != nil
	page.Verdict = verdict(t, page, runErr)
	switch {
	case start < 0 && page.Divergence >= 0:
		page.Start = page.Divergence
	case start > page.Last:
		page.Start = page.Last
	case start > 0:
		page.Start = start
	}
	var b bytes.Buffer
	if err := viewerTemplate.Execute(&b, page); err != nil {
		return errors.Join(runErr, fmt.Errorf("writing the page: %v", err))
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return errors.Join(runErr, err)
	}
	return runErr
}

// verdict is the page's one-line summary of the run.
func verdict(t *traces.Trace, page *vPage, runErr error) string {
	on := strings.Join(page.Backends, " and ")
	var d *traces.Divergence
	switch {
	case runErr == nil && page.Multi:
		return fmt.Sprintf("All %d steps ran as the trace expects, and %s agree at every step.", len(t.Steps), on)
	case runErr == nil:
		return fmt.Sprintf("All %d steps ran on %s as the trace expects.", len(t.Steps), on)
	case errors.As(runErr, &d) && d.Index < 0:
		return fmt.Sprintf("The run failed before the first step: %s.", d.Kind)
	case errors.As(runErr, &d):
		return fmt.Sprintf("The run stopped at step %d of %d: %s (%s vs %s). That step is highlighted.", d.Index+1, len(t.Steps), d.Kind, d.A, d.B)
	}
	return "The run failed: " + runErr.Error()
}
