// Behaviour without inline script (the CSP forbids it).
// Forms or buttons with data-confirm ask before they submit: destructive actions are never one click.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var submitter = event.submitter;
  var question = (submitter && submitter.dataset.confirm) || form.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);

// "/" focuses the search field on pages that have one, as in most helpdesk tools.
document.addEventListener("keydown", function (event) {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
  var tag = (document.activeElement && document.activeElement.tagName) || "";
  if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") return;
  var search = document.querySelector("[data-search-field]");
  if (search) { event.preventDefault(); search.focus(); search.select(); }
});

// Scan pages: after each answer, clear the field and keep the focus there, and let the ear know the result
// (a short high beep for green, a low buzz for red) so the eyes can stay on the device.
var audio = null;
function beep(ok) {
  try {
    audio = audio || new (window.AudioContext || window.webkitAudioContext)();
    var osc = audio.createOscillator(), gain = audio.createGain();
    osc.frequency.value = ok ? 1046 : 220;
    osc.type = ok ? "sine" : "square";
    gain.gain.value = 0.08;
    osc.connect(gain); gain.connect(audio.destination);
    osc.start(); osc.stop(audio.currentTime + (ok ? 0.08 : 0.35));
  } catch (e) { /* no audio: the colour still tells */ }
}
// Each Enter takes what is in the field at that moment and empties it at once, so a fast second scan starts in an
// empty field and is its own request, never glued to the first and never dropped. Scans are sent at once, side by
// side, except after a place's label: the codes scanned after it wait until it has chosen the place (the rest of
// the form is read when a code is sent, so they go to that place). Every request gets its answer row; a request that
// fails gets a red row saying so. (Without JavaScript the form simply posts.)
var placeChosen = Promise.resolve();
var PLACE_LABEL = /^[VBP][0-9]{6}[0-9A-Z]$/;
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form || form.id !== "scan-form" || !window.fetch) return;
  event.preventDefault();
  event.stopImmediatePropagation();
  var field = form.querySelector("[data-scan-field]"), pasted = form.querySelector("#codes");
  var code = field.value.trim(), codes = pasted ? pasted.value : "";
  if (!code && !codes.trim()) return;
  field.value = "";
  if (pasted) pasted.value = "";
  var sent = placeChosen.then(function () { return sendScan(form, code, codes); });
  if (PLACE_LABEL.test(code.replace(/\s/g, "").toUpperCase())) placeChosen = sent;
}, true);
function sendScan(form, code, codes) {
  var body = new URLSearchParams(new FormData(form));
  body.set("code", code);
  if (codes) body.set("codes", codes);
  var log = document.getElementById("scan-log");
  function failed() {
    var row = document.createElement("li");
    row.className = "scan-answer alert alert-danger py-2 mb-2";
    row.setAttribute("data-scan-result", "error");
    row.textContent = "✗ " + (code || "") + " " + form.getAttribute("data-unsaved");
    log.insertBefore(row, log.firstChild);
    beep(false);
  }
  // A request with no answer in 20 s is given up (its red row says so), so a place's label never holds up the rest.
  var stop = window.AbortController ? new AbortController() : null;
  var timer = stop ? setTimeout(function () { stop.abort(); }, 20000) : null;
  return fetch(form.getAttribute("action"), {method: "POST", body: body, credentials: "same-origin",
                                             headers: {"HX-Request": "true"}, signal: stop ? stop.signal : undefined})
    .then(function (response) {
      if (!response.ok) { failed(); return; }
      // A place's label was scanned: the address says the place chosen (the page's parts come with the answer).
      var address = response.headers.get("HX-Replace-Url");
      if (address && window.history) window.history.replaceState(null, "", address);
      return response.text().then(function (html) {
        var answer = document.createElement("div");
        answer.innerHTML = html;  // rendered and escaped by the server
        // Parts of the page sent again with the answer (a stop's lists, the chosen place) replace theirs.
        answer.querySelectorAll("[data-replace]").forEach(function (part) {
          var target = document.getElementById(part.getAttribute("data-replace"));
          if (target && part.firstElementChild) target.replaceWith(part.firstElementChild);
          part.remove();
        });
        log.insertAdjacentHTML("afterbegin", answer.innerHTML);
        beep(html.indexOf('data-scan-result="error"') < 0);
      });
    })
    .catch(failed)
    .then(function () {
      if (timer) clearTimeout(timer);
      form.querySelector("[data-scan-field]").focus();
    });
}
// A field with data-next hands the focus to the next field on Enter, so a scanner's Enter does not submit a
// two-code form (kit swap) after the first code.
document.addEventListener("keydown", function (event) {
  var next = event.target && event.target.dataset && event.target.dataset.next;
  if (event.key === "Enter" && next) {
    event.preventDefault();
    var target = document.getElementById(next);
    if (target) target.focus();
  }
});

// Single-key shortcuts (helpdesk tools: j/k, t, n, r, digits): an element with data-shortcut="x" is clicked
// (or focused, if it is a field) when x is pressed outside a field. Lists with data-keyboard-list move a
// highlight with j/k and open the highlighted row with Enter.
function typingIn(element) {
  var tag = (element && element.tagName) || "";
  return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (element && element.isContentEditable);
}
// The first row starts highlighted (as in a mail client), so Enter opens it and j moves on to the second.
var keyboardRow = -1;
document.addEventListener("DOMContentLoaded", function () {
  var list = document.querySelector("[data-keyboard-list]");
  var first = list && list.querySelector("tr[data-href]");
  if (first && !typingIn(document.activeElement)) { keyboardRow = 0; first.classList.add("table-active"); }
});
function moveRow(list, step) {
  var rows = list.querySelectorAll("tr[data-href]");
  if (!rows.length) return;
  if (keyboardRow >= 0 && rows[keyboardRow]) rows[keyboardRow].classList.remove("table-active");
  keyboardRow = Math.max(0, Math.min(rows.length - 1, keyboardRow + step));
  rows[keyboardRow].classList.add("table-active");
  rows[keyboardRow].focus();
}
document.addEventListener("keydown", function (event) {
  if (event.ctrlKey || event.metaKey || event.altKey || typingIn(document.activeElement)) return;
  var list = document.querySelector("[data-keyboard-list]");
  if (list && (event.key === "j" || event.key === "k")) {
    event.preventDefault();
    moveRow(list, event.key === "j" ? 1 : -1);
    return;
  }
  if (list && keyboardRow >= 0) {
    var row = list.querySelectorAll("tr[data-href]")[keyboardRow];
    if (row && document.activeElement !== row && event.key === "Enter" &&
        document.activeElement && document.activeElement !== document.body) return;  // Enter on a link or button
    if (row && event.key === "Enter") { event.preventDefault(); window.location.href = row.dataset.href; return; }
    var take = row && row.querySelector("[data-take]");
    if (take && event.key === "t") { event.preventDefault(); take.click(); return; }
  }
  if (event.key === "r") {
    var reply = document.getElementById("reply-body");
    if (reply) { event.preventDefault(); reply.focus(); return; }
  }
  var target = document.querySelector('[data-shortcut="' + CSS.escape(event.key) + '"]');
  if (!target) return;
  event.preventDefault();
  if (typingIn(target)) target.focus(); else target.click();
});
// Alt+key opens a page from anywhere, even from inside a text field (the nav's data-global-shortcut; plain "q"
// works outside fields through data-shortcut). event.code, so a Mac's Option key still gives the letter.
document.addEventListener("keydown", function (event) {
  if (!event.altKey || event.ctrlKey || event.metaKey || !/^Key[A-Z]$/.test(event.code)) return;
  var target = document.querySelector('[data-global-shortcut="' + event.code.slice(3).toLowerCase() + '"]');
  if (!target) return;
  event.preventDefault();
  target.click();
});
// A canned response fills the reply box with its text (already filled in and escaped by the server).
document.addEventListener("change", function (event) {
  var select = event.target;
  if (!select.dataset || !select.dataset.cannedTarget) return;
  var option = select.options[select.selectedIndex];
  var box = document.getElementById(select.dataset.cannedTarget);
  if (box && option && option.dataset.text) { box.value = option.dataset.text; box.focus(); }
});

// Ctrl+Enter (⌘+Enter) in a text box marked data-ctrl-enter sends its form, as in mail and chat tools.
document.addEventListener("keydown", function (event) {
  var box = event.target;
  if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey) || !box.dataset || !("ctrlEnter" in box.dataset)) return;
  if (!box.form) return;
  event.preventDefault();
  var button = box.form.querySelector(box.dataset.ctrlEnter || "[type=submit]");
  box.form.requestSubmit(button || undefined);
});

// Logging a call: naming a kind of device in the description ("the scale") picks the caller's device of that kind
// when there is exactly one, until the user picks a device herself.
document.addEventListener("input", function (event) {
  var text = event.target;
  if (!text.dataset || !("deviceText" in text.dataset) || !text.form) return;
  if (text.form.dataset.devicePicked) return;
  var words = text.value.toLowerCase();
  var named = Array.prototype.filter.call(text.form.querySelectorAll("[data-device-words]"), function (radio) {
    return radio.dataset.deviceWords.split("|").some(function (stem) { return stem && words.indexOf(stem) >= 0; });
  });
  if (named.length === 1) named[0].checked = true;
});
document.addEventListener("change", function (event) {
  if (event.target.name === "device_id" && event.isTrusted && event.target.form) {
    event.target.form.dataset.devicePicked = "1";
  }
});
