/* The Kreis-wide occupancy page: re-fetches the list part of the page every 30 seconds (only while
   the page is visible) and swaps it in, so the figures stay current without a reload. The server
   renders the list (translated, sorted); this script only moves it into place. */
(function () {
  "use strict";

  var list = document.getElementById("occupancy-list");
  if (!list || !window.fetch) {
    return;
  }
  var seconds = parseInt(list.dataset.refreshSeconds, 10) || 30;

  function refresh() {
    if (document.hidden || list.contains(document.activeElement)) {
      return; /* hidden, or someone is keyboard-navigating the list: do not pull it from under them */
    }
    fetch(list.dataset.refreshUrl, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html !== null) {
          list.innerHTML = html;
          list.dataset.refreshedAt = String(Date.now());
        }
      })
      .catch(function () {
        /* offline for a moment: try again at the next tick */
      });
  }

  window.setInterval(refresh, seconds * 1000);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) {
      refresh();
    }
  });
}());
