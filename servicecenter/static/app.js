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
