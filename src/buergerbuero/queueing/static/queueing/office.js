/* One office's live queue page: follows the office's SSE stream (event "state", the office's live
   state as JSON) and updates the figures, lines, calls and counters in place. EventSource reconnects
   by itself; the stream sends the whole state on every (re)connect. Labels come from data-label-*
   attributes, so every word stays translated on the server. */
(function () {
  "use strict";

  var root = document.getElementById("queue-office");
  if (!root || !window.EventSource) {
    return;
  }
  var labels = root.dataset;

  function field(name, scope) {
    return (scope || root).querySelector('[data-field="' + name + '"]');
  }

  function setText(element, text) {
    if (element && element.textContent !== String(text)) {
      element.textContent = String(text);
    }
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (match, key) {
      return values[key] === undefined || values[key] === null ? match : String(values[key]);
    });
  }

  function waitText(wait) {
    if (!wait || wait.estimate === null || wait.low === null || wait.high === null) {
      return labels.labelNoEstimate;
    }
    if (wait.high === 0) {
      return labels.labelNoWait;
    }
    return fill(labels.labelWait, wait);
  }

  function time(iso) {
    var date = new Date(iso);
    return ("0" + date.getHours()).slice(-2) + ":" + ("0" + date.getMinutes()).slice(-2);
  }

  function replaceItems(list, items, empty) {
    if (!list) {
      return;
    }
    var fragment = document.createDocumentFragment();
    items.forEach(function (item) {
      fragment.appendChild(item);
    });
    if (!items.length) {
      var li = document.createElement("li");
      li.textContent = empty;
      fragment.appendChild(li);
    }
    list.replaceChildren(fragment);
  }

  var statusLabels = {
    open: labels.labelOpen,
    ticket_stop: labels.labelTicketStop,
    closed: labels.labelClosed
  };

  function render(state) {
    var status = field("status");
    if (status && status.dataset.status !== state.status) {
      status.dataset.status = state.status;
      status.className = "queue-status queue-status--" + state.status;
      setText(status, (statusLabels[state.status] || state.status) +
        (state.stop_reason ? " – " + state.stop_reason : ""));
    }
    setText(field("waiting"), state.waiting);
    setText(field("open-counters"), state.open_counters);
    (state.lines || []).forEach(function (line) {
      var item = root.querySelector('[data-line="' + line.key + '"]');
      if (!item) {
        return;
      }
      setText(field("line-waiting", item), line.waiting);
      setText(field("line-wait", item), line.stopped ? labels.labelStopped : waitText(line.walk_in));
    });
    replaceItems(field("calls"), (state.calls || []).map(function (call) {
      var li = document.createElement("li");
      li.textContent = fill(labels.labelCall, { ticket: call.ticket, counter: call.counter || "–" });
      if (call.at) {
        var span = document.createElement("span");
        span.className = "queue-calls__time";
        span.textContent = time(call.at);
        li.appendChild(document.createTextNode(" "));
        li.appendChild(span);
      }
      return li;
    }), labels.labelNoCalls);
    replaceItems(field("counters"), (state.counters || []).filter(function (counter) {
      return !counter.paused;
    }).map(function (counter) {
      var li = document.createElement("li");
      li.textContent = counter.name;
      return li;
    }), labels.labelNoCounters);
    root.dataset.version = String(state.version);
  }

  var source = new EventSource(root.dataset.streamUrl);
  source.addEventListener("state", function (event) {
    setText(field("connection"), "");
    try {
      render(JSON.parse(event.data));
    } catch (error) {
      /* a malformed message: keep showing the last good state */
    }
  });
  source.addEventListener("error", function () {
    setText(field("connection"), labels.labelOffline);
  });
}());
