/* Ticket machine: one submit per touch, the printed ticket prints itself and the machine returns
 * to its start page; a start page left with a message or a ticked box resets itself. */
(function () {
  "use strict";

  var IDLE_RESET_MS = 60000;
  var body = document.body;

  if (body.hasAttribute("data-auto-print")) {
    var back = body.getAttribute("data-return-url");
    var seconds = parseInt(body.getAttribute("data-return-seconds"), 10) || 20;
    window.addEventListener("load", function () {
      window.setTimeout(function () {
        window.print();
      }, 200);
    });
    window.setTimeout(function () {
      window.location.replace(back);
    }, seconds * 1000);
    return;
  }

  var form = document.querySelector("[data-kiosk-form]");
  if (!form) {
    return;
  }
  var submitting = false;
  form.addEventListener("submit", function (event) {
    if (submitting) {
      event.preventDefault(); // a second touch while the first ticket is being drawn
      return;
    }
    submitting = true;
    form.setAttribute("aria-busy", "true");
  });

  var toggle = document.getElementById("kiosk-accessibility");
  var idle = null;
  function resetLater() {
    if (idle !== null) {
      window.clearTimeout(idle);
    }
    idle = window.setTimeout(function () {
      if (document.getElementById("kiosk-error") || (toggle && toggle.checked)) {
        window.location.replace(window.location.pathname); // the next person starts afresh
      }
    }, IDLE_RESET_MS);
  }
  document.addEventListener("pointerdown", resetLater);
  document.addEventListener("keydown", resetLater);
  resetLater();
})();
