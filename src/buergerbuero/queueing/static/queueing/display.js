/* Call display of the waiting room: listens to the office's SSE stream and re-renders fixed nodes.
 *
 * Runs for days on a screen nobody touches, so nothing may accumulate: every state is written into
 * the nodes the server rendered (a fixed number of call slots, one row per line), only the keys of
 * the calls on screen are kept, and there is exactly one clock timer, one watchdog timer and one
 * EventSource at any time. New calls (ticket, time, recalls not on screen before) ring a gong made
 * with the Web Audio API and, if the office wants it, are spoken. Browsers allow sound only after a
 * gesture, so a one-time "turn on sound" button shows until the audio context runs.
 *
 * window.buergerbueroDisplay.receive(json) is the same entry point the stream uses (for tests).
 */
(function () {
  "use strict";

  var root = document.getElementById("display");
  if (!root) {
    return;
  }

  var WATCHDOG_MS = 45000;
  var ANNOUNCE_WITHIN_MS = 120000; // calls older than this (e.g. after a long outage) ring no gong
  var GONG_GAP_MS = 1500;
  var MAX_SPOKEN_QUEUE = 3;

  var data = root.dataset;
  var streamPath = data.stream;
  var spoken = data.spoken === "1";
  var lang = document.documentElement.lang || "de";

  var statusNode = root.querySelector("[data-status]");
  var stopReasonNode = root.querySelector("[data-stop-reason]");
  var statusText = statusNode.firstChild; // the text node before the stop reason
  var clockNode = root.querySelector("[data-clock]");
  var connectionNode = root.querySelector("[data-connection]");
  var soundButton = root.querySelector("[data-sound]");
  var currentNode = root.querySelector("[data-current]");
  var currentEmpty = root.querySelector("[data-current-empty]");
  var currentTicket = currentNode.querySelector("[data-ticket]");
  var currentCounter = currentNode.querySelector("[data-counter]");
  var slots = Array.prototype.map.call(root.querySelectorAll("[data-previous] [data-call]"), function (li) {
    return { li: li, ticket: li.querySelector("[data-ticket]"), counter: li.querySelector("[data-counter]") };
  });
  var linesBody = root.querySelector("[data-lines]");
  var lineRows = {};
  indexLineRows();

  var shownKeys = null; // keys of the calls on screen; null until the first state arrived
  var audio = null;
  var lastGong = 0;
  var speaking = 0;
  var source = null;
  var watchdog = null;

  // --- formatting ---------------------------------------------------------------------------

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_match, name) {
      return String(values[name]);
    });
  }

  function waitLabel(walkIn) {
    if (!walkIn || walkIn.low === null || walkIn.high === null) {
      return data.textUnknown;
    }
    var step = 5;
    var low = Math.max(0, Math.floor(walkIn.low / step) * step);
    var high = Math.max(0, Math.ceil(walkIn.high / step) * step);
    if (high <= 0) {
      return data.textNoWait;
    }
    high = Math.max(high, low + step);
    if (low <= 0) {
      return fill(data.textLessThan, { high: high });
    }
    return fill(data.textAbout, { low: low, high: high });
  }

  function setText(node, text) {
    if (node.textContent !== text) {
      node.textContent = text;
    }
  }

  function setHidden(node, hidden) {
    if (node.hidden !== hidden) {
      node.hidden = hidden;
    }
  }

  function callKey(call) {
    return call.ticket + "|" + call.at + "|" + call.recalls;
  }

  // --- rendering ----------------------------------------------------------------------------

  function indexLineRows() {
    lineRows = {};
    Array.prototype.forEach.call(linesBody.querySelectorAll("[data-line]"), function (row) {
      lineRows[row.dataset.line] = {
        row: row,
        name: row.querySelector("[data-name]"),
        prefix: row.querySelector("[data-prefix]"),
        waiting: row.querySelector("[data-waiting]"),
        wait: row.querySelector("[data-wait]"),
      };
    });
  }

  function sameLines(lines) {
    var keys = Object.keys(lineRows);
    if (keys.length !== lines.length) {
      return false;
    }
    for (var i = 0; i < lines.length; i++) {
      if (!lineRows[lines[i].key]) {
        return false;
      }
    }
    return true;
  }

  function rebuildLineRows(lines) {
    // Only when the office's lines change (rare): the old rows are dropped, not kept.
    var template = linesBody.querySelector("[data-line]");
    var fragment = document.createDocumentFragment();
    lines.forEach(function (line) {
      var row;
      if (template) {
        row = template.cloneNode(true);
      } else {
        row = document.createElement("tr");
        var th = document.createElement("th");
        th.scope = "row";
        var name = document.createElement("span");
        name.setAttribute("data-name", "");
        var prefix = document.createElement("span");
        prefix.className = "display-lines__prefix";
        prefix.setAttribute("data-prefix", "");
        th.appendChild(name);
        th.appendChild(document.createTextNode(" "));
        th.appendChild(prefix);
        var waiting = document.createElement("td");
        waiting.setAttribute("data-waiting", "");
        var wait = document.createElement("td");
        wait.setAttribute("data-wait", "");
        row.appendChild(th);
        row.appendChild(waiting);
        row.appendChild(wait);
      }
      row.setAttribute("data-line", line.key);
      fragment.appendChild(row);
    });
    linesBody.replaceChildren(fragment);
    indexLineRows();
  }

  function renderLines(lines) {
    if (!sameLines(lines)) {
      rebuildLineRows(lines);
    }
    lines.forEach(function (line) {
      var nodes = lineRows[line.key];
      setText(nodes.name, line.name);
      setText(nodes.prefix, line.prefix);
      setText(nodes.waiting, String(line.waiting));
      setText(nodes.wait, line.stopped ? data.textStopped : waitLabel(line.walk_in));
    });
  }

  function renderStatus(state) {
    // data-status-open, data-status-ticket_stop, data-status-closed
    var label = data["status" + state.status.charAt(0).toUpperCase() + state.status.slice(1)];
    setText(statusText, label || state.status);
    setText(stopReasonNode, state.stop_reason ? " – " + state.stop_reason : "");
    var wanted = "display-status display-status--" + state.status;
    if (statusNode.className !== wanted) {
      statusNode.className = wanted;
    }
  }

  function renderCalls(calls) {
    var first = calls[0];
    setHidden(currentNode, !first);
    setHidden(currentEmpty, !!first);
    if (first) {
      setText(currentTicket, first.ticket);
      setText(currentCounter, first.counter || "");
    }
    for (var i = 0; i < slots.length; i++) {
      var call = calls[i + 1];
      setHidden(slots[i].li, !call);
      if (call) {
        setText(slots[i].ticket, call.ticket);
        setText(slots[i].counter, call.counter || "");
      }
    }
  }

  function newCalls(calls, generatedAt) {
    var visible = calls.slice(0, slots.length + 1);
    var keys = visible.map(callKey);
    var fresh = [];
    if (shownKeys !== null) {
      var now = Date.parse(generatedAt);
      for (var i = visible.length - 1; i >= 0; i--) {
        var call = visible[i];
        var recent = !call.at || isNaN(now) || now - Date.parse(call.at) <= ANNOUNCE_WITHIN_MS;
        if (shownKeys.indexOf(keys[i]) === -1 && recent && call.state === "called") {
          fresh.push(call);
        }
      }
    }
    shownKeys = keys; // replaced, never appended to
    return fresh;
  }

  function receive(json) {
    var state;
    try {
      state = JSON.parse(json);
    } catch (_error) {
      return;
    }
    renderStatus(state);
    renderCalls(state.calls || []);
    renderLines(state.lines || []);
    var fresh = newCalls(state.calls || [], state.generated_at);
    if (fresh.length) {
      gong();
      fresh.forEach(speak);
    }
  }

  // --- sound --------------------------------------------------------------------------------

  function audioContext() {
    if (audio === null) {
      var Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) {
        return null;
      }
      audio = new Context();
    }
    return audio;
  }

  function updateSoundButton() {
    var running = audio !== null && audio.state === "running";
    setHidden(soundButton, running);
  }

  function tone(context, frequency, start, duration) {
    var oscillator = context.createOscillator();
    var gain = context.createGain();
    oscillator.type = "sine";
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(0.35, start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + duration);
    oscillator.connect(gain);
    gain.connect(context.destination);
    oscillator.onended = function () {
      oscillator.disconnect();
      gain.disconnect();
      oscillator.onended = null;
    };
    oscillator.start(start);
    oscillator.stop(start + duration + 0.05);
  }

  function gong() {
    if (audio === null || audio.state !== "running") {
      return;
    }
    var now = Date.now();
    if (now - lastGong < GONG_GAP_MS) {
      return; // several calls at once: one gong
    }
    lastGong = now;
    var start = audio.currentTime + 0.05;
    tone(audio, 784, start, 1.2); // G5
    tone(audio, 523.25, start + 0.6, 1.6); // C5
  }

  function germanVoice() {
    var voices = window.speechSynthesis.getVoices();
    var prefix = lang.slice(0, 2).toLowerCase();
    for (var i = 0; i < voices.length; i++) {
      if (voices[i].lang && voices[i].lang.toLowerCase().indexOf(prefix) === 0) {
        return voices[i];
      }
    }
    return null;
  }

  function spokenNumber(ticket) {
    // "A017" is spoken "A 17".
    var match = /^([A-Za-z]*)0*(\d+)$/.exec(ticket);
    return match ? (match[1] + " " + match[2]).trim() : ticket;
  }

  function speak(call) {
    if (!spoken || !("speechSynthesis" in window) || audio === null || audio.state !== "running") {
      return;
    }
    var synth = window.speechSynthesis;
    if (!synth.speaking && !synth.pending) {
      speaking = 0; // whatever was queued has been said (or was dropped by the browser)
    }
    if (speaking >= MAX_SPOKEN_QUEUE) {
      return;
    }
    var utterance = new SpeechSynthesisUtterance(
      fill(data.textSpoken, { number: spokenNumber(call.ticket), counter: call.counter || "" })
    );
    utterance.lang = lang;
    var voice = germanVoice();
    if (voice) {
      utterance.voice = voice;
    }
    utterance.onend = utterance.onerror = function () {
      speaking = Math.max(0, speaking - 1);
      utterance.onend = utterance.onerror = null;
    };
    speaking += 1;
    synth.speak(utterance);
  }

  soundButton.addEventListener("click", function () {
    var context = audioContext();
    if (context === null) {
      return;
    }
    context.resume().then(updateSoundButton, updateSoundButton);
  });

  // --- the stream ----------------------------------------------------------------------------

  function onState(event) {
    seen();
    receive(event.data);
  }

  function onOpen() {
    seen();
  }

  function onError() {
    setHidden(connectionNode, false);
    root.dataset.connected = "false";
  }

  function seen() {
    setHidden(connectionNode, true);
    root.dataset.connected = "true";
    armWatchdog();
  }

  function armWatchdog() {
    if (watchdog !== null) {
      clearTimeout(watchdog);
    }
    watchdog = setTimeout(reconnect, WATCHDOG_MS);
  }

  function connect() {
    source = new EventSource(streamPath);
    source.addEventListener("state", onState);
    source.addEventListener("heartbeat", seen);
    source.addEventListener("open", onOpen);
    source.addEventListener("error", onError);
    armWatchdog();
  }

  function reconnect() {
    // Nothing for 45 s: the connection may be dead without the browser noticing. Start afresh.
    watchdog = null;
    if (source !== null) {
      source.removeEventListener("state", onState);
      source.removeEventListener("heartbeat", seen);
      source.removeEventListener("open", onOpen);
      source.removeEventListener("error", onError);
      source.close();
      source = null;
    }
    setHidden(connectionNode, false);
    connect();
  }

  // --- clock and the daily reload -------------------------------------------------------------

  function tick() {
    var now = new Date();
    var text = String(now.getHours()).padStart(2, "0") + ":" + String(now.getMinutes()).padStart(2, "0");
    setText(clockNode, text);
    var iso = now.toISOString().slice(0, 16);
    if (clockNode.getAttribute("datetime") !== iso) {
      clockNode.setAttribute("datetime", iso);
    }
  }

  function reloadTomorrow() {
    // The check-in code is valid for one day: fetch a fresh page shortly after midnight.
    var now = new Date();
    var tomorrow = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1, 0, 5 + Math.floor(Math.random() * 20));
    setTimeout(function () {
      window.location.reload();
    }, tomorrow - now);
  }

  window.buergerbueroDisplay = { receive: receive };

  tick();
  setInterval(tick, 1000);
  reloadTomorrow();
  if (window.AudioContext || window.webkitAudioContext) {
    audioContext();
    updateSoundButton(); // a kiosk browser that allows autoplay needs no button
    audio.addEventListener("statechange", updateSoundButton);
  }
  if (streamPath && "EventSource" in window) {
    connect();
  }
})();
