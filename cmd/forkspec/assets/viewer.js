// viewer.js: step through the pictures of a forkspec explain page one at a
// time, with a slider, buttons and keys (→ j next, ← k previous, Home, End).
// The page works without it: every step is then shown in order, as in print.
// The step shown is kept in the address (#step-N), so a link opens it.
(function () {
  "use strict";
  var root = document.documentElement;
  var steps = Array.prototype.slice.call(document.querySelectorAll("section.step"));
  var slider = document.getElementById("slider");
  var position = document.getElementById("position");
  var controls = document.getElementById("controls");
  if (!steps.length || !slider || !position || !controls) {
    return;
  }
  var buttons = {
    first: document.getElementById("first"),
    prev: document.getElementById("prev"),
    next: document.getElementById("next"),
    last: document.getElementById("last")
  };
  var current = -1;

  function clamp(i) {
    if (isNaN(i)) {
      return 0;
    }
    return Math.max(0, Math.min(steps.length - 1, i));
  }

  // show makes step i the one on screen and says so to assistive technology.
  function show(i) {
    i = clamp(i);
    if (i === current) {
      return;
    }
    if (current >= 0) {
      steps[current].classList.remove("current");
    }
    steps[i].classList.add("current");
    current = i;
    var label = steps[i].getAttribute("data-label") || "";
    slider.value = String(i);
    slider.setAttribute("aria-valuetext", label);
    position.textContent = label;
    buttons.first.disabled = buttons.prev.disabled = i === 0;
    buttons.next.disabled = buttons.last.disabled = i === steps.length - 1;
    root.setAttribute("data-step", String(i));
    try {
      history.replaceState(null, "", "#step-" + i);
    } catch (e) {
      // Some browsers refuse history on file:// pages; the page still works.
    }
  }

  function fromHash() {
    var m = /^#step-(\d+)$/.exec(location.hash);
    return m ? parseInt(m[1], 10) : -1;
  }

  slider.addEventListener("input", function () {
    show(parseInt(slider.value, 10));
  });
  buttons.first.addEventListener("click", function () { show(0); });
  buttons.prev.addEventListener("click", function () { show(current - 1); });
  buttons.next.addEventListener("click", function () { show(current + 1); });
  buttons.last.addEventListener("click", function () { show(steps.length - 1); });
  var divergence = document.getElementById("divergence");
  if (divergence) {
    divergence.addEventListener("click", function () {
      show(parseInt(divergence.getAttribute("data-step"), 10));
    });
  }
  document.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey || e.defaultPrevented) {
      return;
    }
    var tag = e.target && e.target.tagName;
    if (e.target === slider || tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") {
      return; // the slider moves itself; text fields keep their keys
    }
    switch (e.key) {
      case "ArrowRight": case "j": show(current + 1); break;
      case "ArrowLeft": case "k": show(current - 1); break;
      case "Home": show(0); break;
      case "End": show(steps.length - 1); break;
      default: return;
    }
    e.preventDefault();
  });
  window.addEventListener("hashchange", function () {
    var i = fromHash();
    if (i >= 0) {
      show(i);
    }
  });

  root.classList.add("js");
  controls.hidden = false;
  var start = fromHash();
  if (start < 0) {
    start = parseInt(document.getElementById("steps").getAttribute("data-start"), 10);
  }
  show(start);
  root.setAttribute("data-ready", "1");
})();
