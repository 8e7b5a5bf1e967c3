/*
 * Progressive enhancement of the booking pages; every page works without it. Loaded with `defer`.
 * - [data-focus-on-load]: move focus to an error summary or "time taken" notice.
 * - [data-service-filter]: show the filter box and hide services that do not match.
 * - [data-countdown-until]: a live "mm:ss minutes left" next to the static "reserved until" text.
 */
"use strict";

(function () {
  var focusTarget = document.querySelector("[data-focus-on-load]");
  if (focusTarget) {
    focusTarget.focus();
  }

  var filter = document.querySelector("[data-service-filter]");
  if (filter) {
    var input = filter.querySelector("input");
    var count = filter.querySelector("[data-text-count]");
    var items = document.querySelectorAll("[data-service-name]");
    filter.hidden = false;
    input.addEventListener("input", function () {
      var wanted = input.value.trim().toLowerCase();
      var shown = 0;
      items.forEach(function (item) {
        var match = !wanted || item.getAttribute("data-service-name").indexOf(wanted) !== -1;
        var box = item.querySelector("input");
        item.hidden = !match && !(box && box.checked);
        if (!item.hidden) {
          shown += 1;
        }
      });
      if (count) {
        count.textContent = count.getAttribute("data-text-count").replace("%(count)s", String(shown));
      }
    });
  }

  var hold = document.querySelector("[data-countdown-until]");
  if (hold) {
    var until = Date.parse(hold.getAttribute("data-countdown-until"));
    var output = hold.querySelector("[data-countdown]");
    var template = hold.getAttribute("data-text-left") || "";
    var tick = function () {
      var left = Math.max(0, Math.round((until - Date.now()) / 1000));
      var minutes = Math.floor(left / 60);
      var seconds = left % 60;
      output.textContent =
        "(" +
        template
          .replace("%(minutes)s", String(minutes))
          .replace("%(seconds)s", (seconds < 10 ? "0" : "") + String(seconds)) +
        ")";
      if (left > 0) {
        window.setTimeout(tick, 1000);
      }
    };
    if (!isNaN(until) && output) {
      tick();
    }
  }
})();
