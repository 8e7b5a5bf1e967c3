/*
 * Conditional fields of an online application step appear and disappear as the citizen answers.
 * Progressive enhancement, loaded with `defer`; without it the server shows such a field after "Next".
 * The server stays the authority: it drops the data of hidden fields whatever is posted.
 *
 * Markup (applications/forms/_field.html): every field's wrapper has data-field (the input name) and
 * data-widget; a field whose condition asks about an answer on this page also has data-when (the
 * catalogue's condition syntax: {"all": [...]}, {"any": [...]}, {"not": c}, {"q": path, "op", "value"};
 * answers from other pages are already decided by the server) and, inside a repeat item, data-when-scope
 * (the item's prefix, "personen.0."; like the engine, a path is looked up in the item first).
 * A hidden field's wrapper gets `hidden` and its inputs `disabled`, so they are not posted.
 * Nothing is announced (the field simply follows the answer, focus stays where it is).
 */
"use strict";

(function () {
  var form = document.querySelector("form[data-conditions]");
  if (!form) {
    return;
  }
  var conditional = Array.prototype.slice.call(form.querySelectorAll("[data-when]"));
  if (!conditional.length) {
    return;
  }
  var GERMAN_DATE = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/;

  function parse(wrapper) {
    try {
      return JSON.parse(wrapper.getAttribute("data-when"));
    } catch (error) {
      return null; /* a malformed condition hides the field, as on the server */
    }
  }
  var conditions = conditional.map(parse);

  function wrapperOf(name) {
    var wrappers = form.querySelectorAll("[data-field]");
    for (var i = 0; i < wrappers.length; i += 1) {
      if (wrappers[i].getAttribute("data-field") === name) {
        return wrappers[i];
      }
    }
    return null;
  }

  function inputsOf(wrapper, name) {
    return Array.prototype.filter.call(wrapper.querySelectorAll("input, select, textarea"), function (input) {
      return input.name === name;
    });
  }

  function number(text) {
    var compact = text.replace(/ /g, "");
    if (/^-?\d+$/.test(compact)) {
      return parseInt(compact, 10);
    }
    if (/^-?\d+[.,]\d+$/.test(compact)) {
      return parseFloat(compact.replace(",", "."));
    }
    return text;
  }

  function pad(value) {
    return (value < 10 ? "0" : "") + value;
  }

  function date(text) {
    var match = GERMAN_DATE.exec(text);
    if (!match) {
      return text;
    }
    var day = parseInt(match[1], 10);
    var month = parseInt(match[2], 10);
    var year = parseInt(match[3], 10);
    var parsed = new Date(Date.UTC(year, month - 1, day));
    if (parsed.getUTCFullYear() !== year || parsed.getUTCMonth() !== month - 1 || parsed.getUTCDate() !== day) {
      return text;
    }
    return ("000" + year).slice(-4) + "-" + pad(month) + "-" + pad(day);
  }

  /* The answer the server would read from the posted input (formdef_data.parse_post): undefined when the
   * page has no such field, null when it is unanswered or hidden. */
  function answer(name) {
    var wrapper = wrapperOf(name);
    if (!wrapper) {
      return undefined;
    }
    if (wrapper.closest("[data-when][hidden]")) {
      return null;
    }
    var widget = wrapper.getAttribute("data-widget");
    var inputs = inputsOf(wrapper, name);
    if (widget === "checkbox") {
      return inputs.length ? inputs[0].checked : null;
    }
    if (widget === "radio" || widget === "checkboxes") {
      var chosen = inputs
        .filter(function (input) {
          return input.checked;
        })
        .map(function (input) {
          return input.value;
        });
      if (widget === "radio") {
        return chosen.length ? chosen[0] : null;
      }
      return chosen.length ? chosen : null;
    }
    if (!inputs.length) {
      return null;
    }
    var text = inputs[0].value.replace(/\r\n/g, "\n").trim();
    if (!text) {
      return null;
    }
    if (widget === "postcode") {
      return text.replace(/\s+/g, "");
    }
    if (widget === "number") {
      return number(text);
    }
    if (widget === "date") {
      return date(text);
    }
    return text;
  }

  function resolve(path, scope) {
    var value = scope ? answer(scope + path) : null;
    if (value === undefined || value === null) {
      value = answer(path);
    }
    return value === undefined ? null : value;
  }

  function isNumber(value) {
    return typeof value === "number" && isFinite(value);
  }

  /* catalog/conditions.py _equal: booleans equal only booleans, numbers compare as numbers, texts as texts. */
  function equal(answerValue, value) {
    if (typeof answerValue === "boolean" || typeof value === "boolean") {
      return typeof answerValue === "boolean" && typeof value === "boolean" && answerValue === value;
    }
    if (isNumber(answerValue) && isNumber(value)) {
      return answerValue === value;
    }
    return typeof answerValue === "string" && typeof value === "string" && answerValue === value;
  }

  function ordered(answerValue, op, value) {
    if (!isNumber(answerValue) || !isNumber(value)) {
      return false;
    }
    if (op === "lt") {
      return answerValue < value;
    }
    if (op === "lte") {
      return answerValue <= value;
    }
    if (op === "gt") {
      return answerValue > value;
    }
    return answerValue >= value;
  }

  /* catalog/conditions.py evaluate; throws for a malformed condition. */
  function evaluate(condition, scope) {
    if (condition === null || typeof condition !== "object" || Array.isArray(condition)) {
      throw new Error("not a condition");
    }
    if ("all" in condition || "any" in condition) {
      var group = "all" in condition ? "all" : "any";
      var parts = condition[group];
      if (!Array.isArray(parts)) {
        throw new Error("not a list");
      }
      for (var i = 0; i < parts.length; i += 1) {
        var holds = evaluate(parts[i], scope);
        if (group === "all" && !holds) {
          return false;
        }
        if (group === "any" && holds) {
          return true;
        }
      }
      return group === "all";
    }
    if ("not" in condition) {
      return !evaluate(condition.not, scope);
    }
    var op = condition.op;
    if (typeof condition.q !== "string" || ["eq", "ne", "lt", "lte", "gt", "gte", "in"].indexOf(op) === -1) {
      throw new Error("not a leaf");
    }
    var value = condition.value;
    var given = resolve(condition.q, scope);
    if (given === null) {
      return false;
    }
    if (op === "eq") {
      return equal(given, value);
    }
    if (op === "ne") {
      return !equal(given, value);
    }
    if (op === "in") {
      return (
        Array.isArray(value) &&
        value.some(function (option) {
          return equal(given, option);
        })
      );
    }
    return ordered(given, op, value);
  }

  function holds(index) {
    var condition = conditions[index];
    if (condition === null) {
      return false;
    }
    try {
      return evaluate(condition, conditional[index].getAttribute("data-when-scope") || "");
    } catch (error) {
      return false;
    }
  }

  function update() {
    /* A field may depend on one that is itself conditional: repeat until nothing changes. */
    for (var pass = 0; pass <= conditional.length; pass += 1) {
      var changed = false;
      for (var i = 0; i < conditional.length; i += 1) {
        var show = holds(i);
        if (conditional[i].hidden === show) {
          conditional[i].hidden = !show;
          changed = true;
        }
      }
      if (!changed) {
        break;
      }
    }
    conditional.forEach(function (wrapper) {
      wrapper.querySelectorAll("input, select, textarea, button").forEach(function (control) {
        control.disabled = Boolean(control.closest("[data-when][hidden]"));
      });
    });
  }

  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
})();
