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
document.addEventListener("htmx:afterSwap", function (event) {
  var log = event.detail.target;
  if (!log || log.id !== "scan-log") return;
  var newest = log.querySelector("[data-scan-result]");
  if (newest) beep(newest.getAttribute("data-scan-result") === "ok");
  var field = document.querySelector("[data-scan-field]");
  if (field) { field.value = ""; field.focus(); }
  var pasted = document.getElementById("codes");
  if (pasted && event.detail.requestConfig && event.detail.requestConfig.elt.contains(pasted)) pasted.value = "";
});
