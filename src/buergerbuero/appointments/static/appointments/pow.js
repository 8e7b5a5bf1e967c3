/*
 * Proof of work before reserving a time (ALTCHA-compatible, no libraries). Loaded with `defer`.
 *
 * For every <form data-altcha data-altcha-challenge="{...json...}">: find the number n in
 * 0..maxnumber with SHA-256(salt + n) == challenge, put the base64 JSON payload
 * {algorithm, challenge, number, salt, signature, took} into <input name="altcha">, then let the
 * form submit. A submit before the work is done waits and goes out by itself afterwards.
 * Texts come from the data attributes of the form's [data-altcha-status] element (translated by
 * the template): data-text-working, data-text-waiting, data-text-done, data-text-failed.
 * Usage and design: docs/appointments-fairness.md.
 */
"use strict";

(function () {
  var CHUNK = 250; // digests per turn; between turns the browser paints and handles input
  var encoder = new TextEncoder();

  function hexToBytes(hex) {
    var bytes = new Uint8Array(hex.length / 2);
    for (var i = 0; i < bytes.length; i += 1) {
      bytes[i] = parseInt(hex.substr(i * 2, 2), 16);
    }
    return bytes;
  }

  function sameBytes(buffer, expected) {
    var actual = new Uint8Array(buffer);
    if (actual.length !== expected.length) {
      return false;
    }
    for (var i = 0; i < actual.length; i += 1) {
      if (actual[i] !== expected[i]) {
        return false;
      }
    }
    return true;
  }

  function nextTurn() {
    return new Promise(function (resolve) {
      window.setTimeout(resolve, 0);
    });
  }

  /* Resolves with the number, or null if none up to maxnumber matches. */
  function solve(challenge, onProgress) {
    var target = hexToBytes(challenge.challenge);
    var max = Number(challenge.maxnumber || challenge.maxNumber || 1000000);
    function chunk(start) {
      var end = Math.min(start + CHUNK, max + 1);
      var digests = [];
      for (var n = start; n < end; n += 1) {
        digests.push(window.crypto.subtle.digest("SHA-256", encoder.encode(challenge.salt + n)));
      }
      return Promise.all(digests).then(function (results) {
        for (var i = 0; i < results.length; i += 1) {
          if (sameBytes(results[i], target)) {
            return start + i;
          }
        }
        if (end > max) {
          return null;
        }
        onProgress(end / (max + 1));
        return nextTurn().then(function () {
          return chunk(end);
        });
      });
    }
    return chunk(0);
  }

  function say(status, key) {
    if (!status) {
      return;
    }
    var text = status.getAttribute("data-text-" + key);
    if (text !== null) {
      status.textContent = text;
    }
  }

  function payloadFor(challenge, number, took) {
    return window.btoa(
      JSON.stringify({
        algorithm: challenge.algorithm,
        challenge: challenge.challenge,
        number: number,
        salt: challenge.salt,
        signature: challenge.signature,
        took: took,
      })
    );
  }

  function bind(form) {
    if (form.hasAttribute("data-altcha-bound")) {
      return; // the script was included twice
    }
    form.setAttribute("data-altcha-bound", "");
    var input = form.querySelector("input[name=altcha]");
    var status = form.querySelector("[data-altcha-status]");
    var progress = form.querySelector("[data-altcha-progress]");
    var state = "working"; // working -> done | failed
    var pendingSubmitter = null;
    var pending = false;

    form.addEventListener("submit", function (event) {
      if (state !== "working") {
        return; // solved, or failed: the server explains what is missing
      }
      event.preventDefault();
      pending = true;
      pendingSubmitter = event.submitter || null;
      say(status, "waiting");
    });

    function finish(newState) {
      state = newState;
      if (progress) {
        progress.hidden = true;
      }
      say(status, newState);
      if (pending) {
        if (typeof form.requestSubmit === "function") {
          if (pendingSubmitter) {
            form.requestSubmit(pendingSubmitter); // keeps the pressed button's name and value
          } else {
            form.requestSubmit();
          }
        } else {
          form.submit();
        }
      }
    }

    var challenge;
    try {
      challenge = JSON.parse(form.getAttribute("data-altcha-challenge") || "");
    } catch (error) {
      challenge = null;
    }
    if (!input || !challenge || !challenge.challenge || !window.crypto || !window.crypto.subtle) {
      finish("failed"); // e.g. a plain-http address other than localhost has no crypto.subtle
      return;
    }
    input.value = "";
    say(status, "working");
    if (progress) {
      progress.hidden = false;
      progress.value = 0;
    }
    var started = Date.now();
    solve(challenge, function (share) {
      if (progress) {
        progress.value = Math.floor(share * 100);
      }
    }).then(
      function (number) {
        if (number === null) {
          finish("failed");
          return;
        }
        input.value = payloadFor(challenge, number, Date.now() - started);
        finish("done");
      },
      function () {
        finish("failed");
      }
    );
  }

  var forms = document.querySelectorAll("form[data-altcha]");
  for (var i = 0; i < forms.length; i += 1) {
    bind(forms[i]);
  }
})();
