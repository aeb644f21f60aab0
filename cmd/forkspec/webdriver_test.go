package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A minimal client of the W3C WebDriver protocol (https://www.w3.org/TR/webdriver2/)
// as chromedriver serves it, over net/http: enough to load a page, find
// elements, read their rendered text, press keys, run a script and take
// screenshots. It exists so the browser tests need no dependency.

// browserArgs are the Chromium flags for a headless run as root on a
// machine without network: no sandbox (root), no GPU, and nothing that
// phones home at start.
var browserArgs = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync",
	"--disable-default-apps", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
}

// findBrowser returns the paths of chromedriver and Chromium, or why they
// are not usable here.
func findBrowser() (driver, browser string, why string) {
	driver, err := exec.LookPath("chromedriver")
	if err != nil {
		return "", "", "chromedriver is not on PATH"
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return driver, p, ""
		}
	}
	return "", "", "no chromium, chromium-browser or google-chrome on PATH"
}

// webDriver is one chromedriver process with one browser session.
type webDriver struct {
	t       testing.TB
	cmd     *exec.Cmd
	base    string // http://127.0.0.1:PORT
	session string
	client  *http.Client
	log     bytes.Buffer
}

// freePort returns a TCP port nothing listens on now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startWebDriver starts chromedriver and a headless Chromium session with a
// fresh profile in profileDir. Stop it with quit (startWebDriver's caller
// registers it with t.Cleanup).
func startWebDriver(t testing.TB, driver, browser, profileDir string) (*webDriver, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	w := &webDriver{t: t, base: fmt.Sprintf("http://127.0.0.1:%d", port), client: &http.Client{Timeout: 60 * time.Second}}
	w.cmd = exec.Command(driver, fmt.Sprintf("--port=%d", port))
	w.cmd.Stdout, w.cmd.Stderr = &w.log, &w.log
	// Its own process group: quit can end chromedriver and the browsers it
	// started, and nothing else. If the test binary dies first (a timeout),
	// the kernel ends chromedriver.
	w.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := w.cmd.Start(); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var status struct {
			Ready bool `json:"ready"`
		}
		if err := w.call("GET", "/status", nil, &status); err == nil && status.Ready {
			break
		}
		if time.Now().After(deadline) {
			w.quit()
			return nil, fmt.Errorf("chromedriver not ready after 30 s; its log:\n%s", w.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	args := append(append([]string(nil), browserArgs...), "--user-data-dir="+profileDir, "--window-size=1280,900")
	caps := map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{
		"browserName":        "chrome",
		"goog:chromeOptions": map[string]any{"binary": browser, "args": args},
		"timeouts":           map[string]any{"script": 20000, "pageLoad": 30000},
	}}}
	var created struct {
		SessionID string `json:"sessionId"`
	}
	if err := w.call("POST", "/session", caps, &created); err != nil {
		w.quit()
		return nil, fmt.Errorf("starting a browser session: %v; chromedriver's log:\n%s", err, w.log.String())
	}
	w.session = created.SessionID
	return w, nil
}

// quit ends the session, then chromedriver's process group.
func (w *webDriver) quit() {
	if w.session != "" {
		_ = w.call("DELETE", "/session/"+w.session, nil, nil)
		w.session = ""
	}
	if w.cmd != nil && w.cmd.Process != nil {
		_ = syscall.Kill(-w.cmd.Process.Pid, syscall.SIGKILL)
		_ = w.cmd.Wait()
		w.cmd = nil
	}
}

// call sends one WebDriver command and decodes its value into out.
func (w *webDriver) call(method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, w.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var env struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return fmt.Errorf("%s %s: status %d, undecodable reply %.200q", method, path, resp.StatusCode, raw)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error   string `json:"error"`
			Message string `json:"message"`
		}
		_ = json.Unmarshal(env.Value, &e)
		return &webDriverError{Code: e.Error, Message: firstLine(e.Message)}
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(env.Value, out)
}

// webDriverError is an error the driver returned ("no such element", …).
type webDriverError struct{ Code, Message string }

func (e *webDriverError) Error() string { return e.Code + ": " + e.Message }

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func (w *webDriver) sess(path string) string { return "/session/" + w.session + path }

// must fails the test on err.
func (w *webDriver) must(err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
}

// open navigates to url and waits for the load event.
func (w *webDriver) open(url string) {
	w.t.Helper()
	w.must(w.call("POST", w.sess("/url"), map[string]any{"url": url}, nil))
}

// element is a WebDriver element reference.
type element string

// elementKey is the W3C web element identifier's JSON key.
const elementKey = "element-6066-11e4-a52e-4f735466cecf"

// find returns the elements matching a CSS selector (none is not an error).
func (w *webDriver) find(css string) []element {
	w.t.Helper()
	var refs []map[string]string
	w.must(w.call("POST", w.sess("/elements"), map[string]any{"using": "css selector", "value": css}, &refs))
	out := make([]element, len(refs))
	for i, r := range refs {
		out[i] = element(r[elementKey])
	}
	return out
}

// one returns the only element matching css, failing the test otherwise.
func (w *webDriver) one(css string) element {
	w.t.Helper()
	es := w.find(css)
	if len(es) != 1 {
		w.t.Fatalf("%d elements match %q, want 1", len(es), css)
	}
	return es[0]
}

// text is the element's rendered text: what a reader sees ("" when hidden).
func (w *webDriver) text(e element) string {
	w.t.Helper()
	var s string
	w.must(w.call("GET", w.sess("/element/"+string(e)+"/text"), nil, &s))
	return s
}

// displayed reports whether the element is shown.
func (w *webDriver) displayed(e element) bool {
	w.t.Helper()
	var b bool
	w.must(w.call("GET", w.sess("/element/"+string(e)+"/displayed"), nil, &b))
	return b
}

// attr is the element's attribute name ("" when absent).
func (w *webDriver) attr(e element, name string) string {
	w.t.Helper()
	var s *string
	w.must(w.call("GET", w.sess("/element/"+string(e)+"/attribute/"+name), nil, &s))
	if s == nil {
		return ""
	}
	return *s
}

// click clicks the element as a user would.
func (w *webDriver) click(e element) {
	w.t.Helper()
	w.must(w.call("POST", w.sess("/element/"+string(e)+"/click"), map[string]any{}, nil))
}

// WebDriver key codes.
const (
	keyLeft  = "\uE012"
	keyRight = "\uE014"
	keyHome  = "\uE011"
	keyEnd   = "\uE010"
)

// sendKeys types keys into the element (which gets the focus).
func (w *webDriver) sendKeys(e element, keys string) {
	w.t.Helper()
	w.must(w.call("POST", w.sess("/element/"+string(e)+"/value"), map[string]any{"text": keys}, nil))
}

// pressKeys presses keys on whatever has the focus (W3C actions).
func (w *webDriver) pressKeys(keys string) {
	w.t.Helper()
	var acts []map[string]any
	for _, k := range keys {
		acts = append(acts, map[string]any{"type": "keyDown", "value": string(k)}, map[string]any{"type": "keyUp", "value": string(k)})
	}
	w.must(w.call("POST", w.sess("/actions"), map[string]any{"actions": []any{
		map[string]any{"type": "key", "id": "keyboard", "actions": acts},
	}}, nil))
}

// script runs JavaScript in the page and decodes its return value into out.
func (w *webDriver) script(out any, js string, args ...any) {
	w.t.Helper()
	if args == nil {
		args = []any{}
	}
	w.must(w.call("POST", w.sess("/execute/sync"), map[string]any{"script": js, "args": args}, out))
}

// resize sets the window's size in CSS pixels.
func (w *webDriver) resize(width, height int) {
	w.t.Helper()
	w.must(w.call("POST", w.sess("/window/rect"), map[string]any{"width": width, "height": height}, nil))
}

// cdp runs a Chrome DevTools Protocol command (chromedriver's extension).
func (w *webDriver) cdp(cmd string, params map[string]any) {
	w.t.Helper()
	w.must(w.call("POST", w.sess("/goog/cdp/execute"), map[string]any{"cmd": cmd, "params": params}, nil))
}

// screenshot saves a PNG of the viewport to path.
func (w *webDriver) screenshot(path string) {
	w.t.Helper()
	w.savePNG(w.sess("/screenshot"), path)
}

// elementScreenshot saves a PNG of one element to path.
func (w *webDriver) elementScreenshot(e element, path string) {
	w.t.Helper()
	w.savePNG(w.sess("/element/"+string(e)+"/screenshot"), path)
}

func (w *webDriver) savePNG(endpoint, path string) {
	w.t.Helper()
	var b64 string
	w.must(w.call("GET", endpoint, nil, &b64))
	png, err := base64.StdEncoding.DecodeString(b64)
	w.must(err)
	if !bytes.HasPrefix(png, []byte("\x89PNG")) {
		w.must(errors.New("the screenshot is not a PNG"))
	}
	w.must(os.WriteFile(path, png, 0o644))
}

// printPDF prints the page as the browser would and saves the PDF to path.
func (w *webDriver) printPDF(path string) {
	w.t.Helper()
	var b64 string
	w.must(w.call("POST", w.sess("/print"), map[string]any{"background": true}, &b64))
	pdf, err := base64.StdEncoding.DecodeString(b64)
	w.must(err)
	if !bytes.HasPrefix(pdf, []byte("%PDF")) {
		w.must(errors.New("the print is not a PDF"))
	}
	w.must(os.WriteFile(path, pdf, 0o644))
}
