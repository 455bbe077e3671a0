// The queue page: selection for bulk actions, debounced live refresh, keyboard navigation.
// Everything works without this file (full page forms); it only makes the page quicker to use.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  var REFRESH_DELAY = 1500;  // wait this long after the last change before refreshing...
  var REFRESH_MAX_WAIT = 6000;  // ...but never longer than this after the first one
  var timer = null;
  var firstChangeAt = 0;

  function results() { return document.getElementById("queue-results"); }
  function boxes() { return Array.prototype.slice.call(document.querySelectorAll("#queue-results input[name=case]")); }
  function selected() { return boxes().filter(function (box) { return box.checked; }); }

  function syncSelection() {
    var all = boxes();
    var chosen = selected();
    var bar = document.querySelector("#queue-results .bulk-bar");
    var count = document.getElementById("bulk-count");
    var master = document.getElementById("queue-select-all");
    all.forEach(function (box) {
      var row = box.closest("tr");
      if (row) { row.classList.toggle("is-selected", box.checked); }
    });
    if (bar) { bar.classList.toggle("is-empty", chosen.length === 0); }
    if (count) { count.textContent = count.dataset.template.replace("0", String(chosen.length)); }
    if (master) {
      master.checked = all.length > 0 && chosen.length === all.length;
      master.indeterminate = chosen.length > 0 && chosen.length < all.length;
    }
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.id === "queue-select-all") {
      boxes().forEach(function (box) { box.checked = target.checked; });
      syncSelection();
    } else if (target.name === "case" && target.closest("#queue-results")) {
      syncSelection();
    }
  });

  // Merging cannot be undone from the queue: ask first. Runs before HTMX's own submit handler.
  document.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    if (!submitter || !submitter.dataset || !submitter.dataset.confirm) { return; }
    if (!window.confirm(submitter.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // Live updates: frontline.js fires "live-update" on each [data-live-group] element when the
  // server publishes a change. Refresh the rows (debounced); while the user has cases selected,
  // offer a refresh instead of pulling the rows from under them.
  function refreshNow() {
    timer = null;
    firstChangeAt = 0;
    var section = results();
    if (!section) { return; }
    if (selected().length > 0 || document.activeElement && document.activeElement.closest && document.activeElement.closest(".bulk-bar")) {
      var button = document.getElementById("queue-updates");
      if (button) { button.classList.add("is-shown"); }
      return;
    }
    htmx.trigger(section, "queue-refresh");
    htmx.trigger(document.body, "queue-counts");
  }

  document.addEventListener("live-update", function (event) {
    if (!event.target.classList || !event.target.classList.contains("queue-live")) { return; }
    var now = Date.now();
    if (!firstChangeAt) { firstChangeAt = now; }
    if (timer) { clearTimeout(timer); }
    var wait = Math.max(0, Math.min(REFRESH_DELAY, firstChangeAt + REFRESH_MAX_WAIT - now));
    timer = setTimeout(refreshNow, wait);
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("#queue-updates");
    if (!button) { return; }
    event.preventDefault();
    button.classList.remove("is-shown");
    var section = results();
    if (section) { htmx.trigger(section, "queue-refresh"); }
    htmx.trigger(document.body, "queue-counts");
  });

  document.addEventListener("htmx:afterSettle", function () {
    if (results()) { cursor = -1; syncSelection(); }
  });

  // Keyboard: j / k move through the rows, x selects, o or Enter opens.
  var cursor = -1;
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("#queue-results tbody tr[data-url]")); }
  function focusRow(index) {
    var list = rows();
    if (!list.length) { return; }
    cursor = Math.max(0, Math.min(index, list.length - 1));
    list.forEach(function (row, i) { row.classList.toggle("table-active", i === cursor); });
    list[cursor].scrollIntoView({ block: "nearest" });
  }
  document.addEventListener("keydown", function (event) {
    if (!results() || event.ctrlKey || event.metaKey || event.altKey) { return; }
    var active = document.activeElement;
    if (active && (/^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName) || active.isContentEditable)) { return; }
    var list = rows();
    if (event.key === "j") { focusRow(cursor + 1); event.preventDefault(); }
    else if (event.key === "k") { focusRow(cursor - 1); event.preventDefault(); }
    else if (event.key === "x" && list[cursor]) {
      var box = list[cursor].querySelector("input[name=case]");
      if (box) { box.checked = !box.checked; syncSelection(); }
      event.preventDefault();
    } else if ((event.key === "o" || event.key === "Enter") && list[cursor]) {
      window.location.href = list[cursor].dataset.url;
      event.preventDefault();
    }
  });

  document.addEventListener("DOMContentLoaded", syncSelection);
})();
