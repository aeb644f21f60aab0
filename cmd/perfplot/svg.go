package main

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"
)

// Chart describes one log-log line chart.
type Chart struct {
	Title, XLabel, YLabel string
	Series                []Series
}

// palette colours series not in seriesColour, by position (colour-blind-safe
// Okabe–Ito).
var palette = []string{"#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9"}

// seriesColour keeps a backend the same colour on both charts.
var seriesColour = map[string]string{"model": "#0072B2", "impl eager": "#E69F00", "impl on-demand": "#009E73", "Linux": "#D55E00"}

const (
	width, height          = 720, 460
	left, right, top, bott = 80, 170, 40, 60
)

// WriteSVG writes c as a standalone SVG: both axes logarithmic, one
// <polyline> and one marker per point per series, and a legend. It fails
// rather than drawing an empty or degenerate chart.
func WriteSVG(w io.Writer, c Chart) error {
	if len(c.Series) == 0 {
		return errNoSeries
	}
	xmin, xmax, ymin, ymax := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, s := range c.Series {
		for _, p := range s.Points {
			if !(p.X > 0 && p.Y > 0) || math.IsInf(p.X, 0) || math.IsInf(p.Y, 0) {
				return fmt.Errorf("series %q: point (%g, %g) cannot go on a log axis", s.Name, p.X, p.Y)
			}
			xmin, xmax = math.Min(xmin, p.X), math.Max(xmax, p.X)
			ymin, ymax = math.Min(ymin, p.Y), math.Max(ymax, p.Y)
		}
	}
	// Axis ranges: x a little beyond the data, y to whole decades.
	lx0, lx1 := math.Log10(xmin)-0.15, math.Log10(xmax)+0.15
	ly0, ly1 := math.Floor(math.Log10(ymin)), math.Ceil(math.Log10(ymax))
	if ly1 == ly0 {
		ly1++
	}
	pw, ph := float64(width-left-right), float64(height-top-bott)
	px := func(x float64) float64 { return left + (math.Log10(x)-lx0)/(lx1-lx0)*pw }
	py := func(y float64) float64 { return top + (ly1-math.Log10(y))/(ly1-ly0)*ph }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="%d" y="24" font-size="15" font-weight="bold">%s</text>`+"\n", left, html.EscapeString(c.Title))
	// Y grid at each decade (with 2 and 5 minor lines unlabelled).
	for d := ly0; d <= ly1; d++ {
		v := math.Pow(10, d)
		y := py(v)
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ccc"/>`+"\n", left, y, width-right, y)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", left-6, y+4, numLabel(v))
		for _, m := range []float64{2, 5} {
			if d < ly1 {
				ym := py(v * m)
				fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#eee"/>`+"\n", left, ym, width-right, ym)
			}
		}
	}
	// X ticks at the measured sizes.
	for _, x := range xTicks(c.Series) {
		xx := px(x)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ccc"/>`+"\n", xx, top, xx, height-bott)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", xx, height-bott+16, sizeLabel(x))
	}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.0f" height="%.0f" fill="none" stroke="#333"/>`+"\n", left, top, pw, ph)
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", left+pw/2, height-16, html.EscapeString(c.XLabel))
	fmt.Fprintf(&b, `<text transform="translate(20 %.1f) rotate(-90)" text-anchor="middle">%s</text>`+"\n", top+ph/2, html.EscapeString(c.YLabel))
	for i, s := range c.Series {
		col, ok := seriesColour[s.Name]
		if !ok {
			col = palette[i%len(palette)]
		}
		var pts []string
		for _, p := range s.Points {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(p.X), py(p.Y)))
		}
		fmt.Fprintf(&b, `<g><title>%s</title><polyline data-series="%s" points="%s" fill="none" stroke="%s" stroke-width="2"/>`+"\n",
			html.EscapeString(s.Name), html.EscapeString(s.Name), strings.Join(pts, " "), col)
		for _, p := range s.Points {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"><title>%s %s: %s</title></circle>`+"\n",
				px(p.X), py(p.Y), col, html.EscapeString(s.Name), sizeLabel(p.X), numLabel(p.Y))
		}
		b.WriteString("</g>\n")
		ly := top + 10 + 20*i
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"/>`+"\n", width-right+12, ly, width-right+36, ly, col)
		fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text>`+"\n", width-right+42, ly+4, html.EscapeString(s.Name))
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// xTicks returns the distinct sizes of all series, in increasing order.
func xTicks(ss []Series) []float64 {
	seen := map[float64]bool{}
	var xs []float64
	for _, s := range ss {
		for _, p := range s.Points {
			if !seen[p.X] {
				seen[p.X] = true
				xs = append(xs, p.X)
			}
		}
	}
	for i := 1; i < len(xs); i++ { // insertion sort: a handful of sizes
		for j := i; j > 0 && xs[j] < xs[j-1]; j-- {
			xs[j], xs[j-1] = xs[j-1], xs[j]
		}
	}
	return xs
}

// sizeLabel writes a MiB count as "64 MiB" or "1 GiB".
func sizeLabel(mib float64) string {
	if mib >= 1024 {
		return numLabel(mib/1024) + " GiB"
	}
	return numLabel(mib) + " MiB"
}

// numLabel writes a value compactly: 0.01, 3.2, 41, 20,000 → "20000".
func numLabel(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.3g", v)
	default:
		return fmt.Sprintf("%.3g", v)
	}
}
