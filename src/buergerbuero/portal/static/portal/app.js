/* Progressive enhancement of the portal; every page works without it. Loaded with `defer`. */
"use strict";

(function () {
  if ("serviceWorker" in navigator) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {
        /* Without a service worker the portal simply has no offline page. */
      });
    });
  }
})();
