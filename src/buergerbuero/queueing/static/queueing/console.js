/* Queue back office: live waiting counts from the office's event stream, keyboard shortcuts on the
   counter console, and one submit per press. Every page works without it (buttons post, reload shows). */
"use strict";

(function () {
  var root = document.querySelector("[data-live-stream]");

  function setText(element, value) {
    if (element && element.textContent !== String(value)) {
      element.textContent = String(value);
    }
  }

  function applyState(state) {
    var lines = state.lines || [];
    var mine = 0;
    lines.forEach(function (line) {
      var row = root.querySelector('[data-line="' + line.key + '"]');
      if (!row) {
        return;
      }
      setText(row.querySelector("[data-line-waiting]"), line.waiting);
      var estimate = row.querySelector("[data-line-estimate]");
      if (estimate && line.walk_in && line.walk_in.low !== null) {
        var format = root.getAttribute("data-range-format") || "{low}–{high} min";
        setText(estimate, format.replace("{low}", line.walk_in.low).replace("{high}", line.walk_in.high));
      }
      if (row.hasAttribute("data-mine")) {
        mine += line.waiting;
      }
    });
    setText(root.querySelector("[data-waiting-total]"), state.waiting);
    setText(root.querySelector("[data-my-waiting]"), mine);
    var counter = root.getAttribute("data-counter");
    if (counter !== null) {
      var shown = root.getAttribute("data-current") || null;
      var mineNow = (state.counters || []).filter(function (c) {
        return c.name === counter;
      })[0];
      var actual = mineNow ? mineNow.ticket || null : null;
      var stale = root.querySelector("[data-stale]");
      if (stale) {
        stale.hidden = actual === shown;
      }
    }
    var note = root.querySelector("[data-live-note]");
    if (note) {
      note.hidden = false;
    }
  }

  if (root && window.EventSource) {
    var live = root.querySelector("[data-live-state]");
    var source = new EventSource(root.getAttribute("data-live-stream"));
    source.addEventListener("state", function (event) {
      try {
        applyState(JSON.parse(event.data));
      } catch (error) {
        return;
      }
      if (live) {
        live.textContent = "";
      }
      root.setAttribute("data-live", "on");
    });
    source.addEventListener("error", function () {
      root.setAttribute("data-live", "reconnecting");
    });
  }

  var form = document.querySelector("[data-console-form]");
  if (!form) {
    return;
  }
  // One submit per page: a second press (or key) while the first is on its way does nothing.
  var sent = false;
  document.addEventListener("submit", function (event) {
    if (sent) {
      event.preventDefault();
      return;
    }
    sent = true;
  });
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) {
      return;
    }
    var target = event.target;
    var tag = target && target.tagName ? target.tagName.toLowerCase() : "";
    if (tag === "input" || tag === "select" || tag === "textarea" || (target && target.isContentEditable)) {
      return;
    }
    var key = (event.key || "").toLowerCase();
    var button = form.querySelector('button[data-shortcut="' + key + '"]');
    if (button && !button.disabled) {
      event.preventDefault();
      button.click();
    }
  });
})();
