/*
 * The citizen's ticket page, live (loaded with `defer`; no libraries, no inline script).
 *
 * - Listens to the office's Server-Sent Events (`event: state`, the office's live JSON) and finds its
 *   own number in `tickets`; when the number is not there (virtual, finished, given back) or the
 *   stream is down, it asks `status.json` of the ticket. EventSource reconnects by itself.
 * - When the number is called, or the citizen's alert threshold is crossed: a visible banner, a tone
 *   (Web Audio, allowed after the first tap) and a vibration; once per event.
 * - "Notify me on this device": registers the service worker (scope /warteschlange/), subscribes to
 *   Web Push with the server's VAPID key and POSTs the subscription to the ticket.
 * Texts come translated from the JSON block #ticket-texts ({n}, {low}, {high}, {counter} are filled in).
 */
"use strict";

(function () {
  var root = document.getElementById("ticket");
  var textsNode = document.getElementById("ticket-texts");
  if (!root || !textsNode) {
    return;
  }
  var texts = JSON.parse(textsNode.textContent || "{}");
  var code = root.getAttribute("data-code");
  var statusUrl = root.getAttribute("data-status-url");
  var streamUrl = root.getAttribute("data-stream-url");
  var FINAL = ["done", "no_show", "cancelled", "expired"];
  var status = null; // the last status.json (alert settings, line key)
  var state = root.getAttribute("data-state");
  var alerted = { soon: false, called: "" };
  var audio = null;
  var source = null;
  var fetching = false;

  function byId(id) {
    return document.getElementById(id);
  }

  function fill(text, values) {
    return String(text || "").replace(/\{(\w+)\}/g, function (match, key) {
      return values[key] === undefined || values[key] === null ? match : String(values[key]);
    });
  }

  function setText(id, text, show) {
    var node = byId(id);
    if (!node) {
      return;
    }
    if (node.textContent !== text) {
      node.textContent = text;
    }
    node.hidden = !show;
  }

  function capitalise(text) {
    return text ? text.charAt(0).toUpperCase() + text.slice(1) : text;
  }

  /* -- sound and vibration ---------------------------------------------------------------------- */

  function unlockAudio() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context || audio) {
      return;
    }
    try {
      audio = new Context();
    } catch (error) {
      audio = null;
    }
  }

  function tone() {
    if (audio) {
      try {
        if (audio.state === "suspended") {
          audio.resume();
        }
        [0, 0.45].forEach(function (offset, index) {
          var oscillator = audio.createOscillator();
          var gain = audio.createGain();
          oscillator.type = "sine";
          oscillator.frequency.value = index === 0 ? 880 : 660;
          gain.gain.setValueAtTime(0.0001, audio.currentTime + offset);
          gain.gain.exponentialRampToValueAtTime(0.4, audio.currentTime + offset + 0.03);
          gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + offset + 0.4);
          oscillator.connect(gain).connect(audio.destination);
          oscillator.start(audio.currentTime + offset);
          oscillator.stop(audio.currentTime + offset + 0.42);
        });
      } catch (error) {
        /* no sound: the banner and the vibration remain */
      }
    }
    if (navigator.vibrate) {
      navigator.vibrate([300, 150, 300, 150, 300]);
    }
  }

  ["pointerdown", "keydown", "touchstart"].forEach(function (kind) {
    document.addEventListener(kind, unlockAudio, { once: true, passive: true });
  });

  /* -- showing the state ------------------------------------------------------------------------ */

  function alertDue(position, low) {
    var alert = (status && status.alert) || {};
    if (alert.positions !== null && alert.positions !== undefined && position !== null && position <= alert.positions) {
      return true;
    }
    return alert.minutes !== null && alert.minutes !== undefined && low !== null && low <= alert.minutes;
  }

  /* entry: {state, position, low, high, counter}; office: {status, waiting, open_counters} or null */
  function show(entry, office) {
    var previous = state;
    state = entry.state;
    root.setAttribute("data-state", state);
    setText("ticket-state", capitalise(texts["state_" + state] || state), true);
    var waiting = state === "waiting" || state === "virtual";
    var position = waiting && entry.position !== undefined ? entry.position : null;
    var ahead = position === 0 ? texts.ahead_0 : position === 1 ? texts.ahead_1 : fill(texts.ahead_n, { n: position });
    setText("ticket-position", ahead, position !== null);
    var wait =
      entry.low !== null && entry.low !== undefined
        ? fill(texts.wait_range, { low: entry.low, high: entry.high })
        : texts.wait_unknown;
    setText("ticket-wait", wait, position !== null);
    if (office) {
      setText("ticket-office-status", capitalise(texts["office_" + office.status] || office.status), true);
      setText("ticket-office-line", fill(texts.office_line, { waiting: office.waiting, counters: office.open_counters }), true);
    }
    var called = state === "called";
    var calledText = entry.counter ? fill(texts.called, { counter: entry.counter }) : texts.called_no_counter;
    setText("ticket-called-text", calledText, true);
    byId("ticket-called").hidden = !called;
    if (called && alerted.called !== calledText) {
      alerted.called = calledText;
      tone();
    }
    if (!called) {
      alerted.called = "";
    }
    var soon = state === "waiting" && alertDue(position, entry.low === undefined ? null : entry.low);
    byId("ticket-soon").hidden = !soon;
    if (soon && !alerted.soon) {
      alerted.soon = true;
      tone();
    }
    var checkIn = byId("ticket-check-in");
    if (checkIn) {
      checkIn.hidden = state !== "virtual";
    }
    if (previous !== state && (FINAL.indexOf(state) >= 0 || previous === "virtual")) {
      // The actions and forms depend on the state: show the server's page for the new one.
      if (FINAL.indexOf(state) >= 0 && source) {
        source.close();
      }
      window.setTimeout(function () {
        window.location.reload();
      }, 1500);
    }
  }

  function resync() {
    if (fetching) {
      return;
    }
    fetching = true;
    fetch(statusUrl, { headers: { Accept: "application/json" }, cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        status = data;
        show(data, data.office);
      })
      .catch(function () {
        /* offline: the stream's reconnect brings the next state */
      })
      .then(function () {
        fetching = false;
      });
  }

  function onState(event) {
    var live;
    try {
      live = JSON.parse(event.data);
    } catch (error) {
      return;
    }
    setText("ticket-connection", "", false);
    var office = { status: live.status, waiting: live.waiting, open_counters: live.open_counters };
    var entry = live.tickets && live.tickets[code];
    if (entry) {
      show(entry, office);
      return;
    }
    if (state === "virtual" && status) {
      // Not in line yet: the line as a newcomer would join it; status.json tells when checked in.
      var line = (live.lines || []).filter(function (item) {
        return item.key === status.line.key;
      })[0];
      if (line) {
        show({ state: "virtual", position: line.waiting, low: line.walk_in.low, high: line.walk_in.high }, office);
      }
    }
    if (FINAL.indexOf(state) < 0) {
      resync();
    }
  }

  function listen() {
    if (!window.EventSource || FINAL.indexOf(state) >= 0) {
      return;
    }
    source = new EventSource(streamUrl);
    source.addEventListener("state", onState);
    source.addEventListener("error", function () {
      setText("ticket-connection", texts.offline, true);
    });
    source.addEventListener("open", function () {
      resync();
    });
  }

  /* -- Web Push --------------------------------------------------------------------------------- */

  function base64UrlToBytes(text) {
    var padded = (text + "===".slice((text.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = window.atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i += 1) {
      bytes[i] = raw.charCodeAt(i);
    }
    return bytes;
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function setupPush() {
    var box = byId("push-box");
    var button = byId("push-button");
    var key = root.getAttribute("data-push-key");
    if (!box || !button || !key) {
      return;
    }
    box.hidden = false;
    var supported = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
    if (!supported) {
      button.hidden = true;
      setText("push-status", texts.push_unsupported, true);
      return;
    }
    button.addEventListener("click", function () {
      unlockAudio();
      button.disabled = true;
      Notification.requestPermission()
        .then(function (permission) {
          if (permission !== "granted") {
            throw new Error("denied");
          }
          return navigator.serviceWorker.register(root.getAttribute("data-worker-url"), {
            scope: root.getAttribute("data-scope"),
          });
        })
        .then(function () {
          return navigator.serviceWorker.ready;
        })
        .then(function (registration) {
          return registration.pushManager.getSubscription().then(function (existing) {
            return (
              existing ||
              registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: base64UrlToBytes(key) })
            );
          });
        })
        .then(function (subscription) {
          return fetch(root.getAttribute("data-push-url"), {
            method: "POST",
            credentials: "same-origin",
            headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
            body: JSON.stringify(subscription.toJSON()),
          });
        })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("refused");
          }
          setText("push-status", texts.push_on, true);
          button.hidden = true;
        })
        .catch(function (error) {
          button.disabled = false;
          setText("push-status", error && error.message === "denied" ? texts.push_denied : texts.push_failed, true);
        });
    });
  }

  /* The page shell is cached by the service worker for a flaky connection (when it is registered). */
  function registerWorker() {
    if ("serviceWorker" in navigator && root.getAttribute("data-push-key") !== null) {
      navigator.serviceWorker
        .register(root.getAttribute("data-worker-url"), { scope: root.getAttribute("data-scope") })
        .catch(function () {
          /* no offline shell; the page still works */
        });
    }
  }

  setupPush();
  registerWorker();
  resync();
  listen();
})();
