// Waitlist and lottery pages: move focus to the error summary after a refused form, so screen
// reader and keyboard users start where the problem is.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector(".waitlist [data-focus-on-load], .lottery [data-focus-on-load]");
  if (summary) {
    summary.focus();
  }
});
