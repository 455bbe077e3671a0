// Frontline's own script: CSRF for HTMX, keyboard shortcuts, quick search navigation.
(function () {
  "use strict";
  document.addEventListener("htmx:configRequest", function (event) {
    var token = document.body.dataset.csrfToken;
    if (token) { event.detail.headers["X-CSRFToken"] = token; }
  });

  // "/" focuses the quick search; Escape closes its results.
  document.addEventListener("keydown", function (event) {
    var search = document.getElementById("quick-search");
    if (!search) { return; }
    var typing = /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName) || document.activeElement.isContentEditable;
    if (event.key === "/" && !typing) {
      event.preventDefault();
      search.focus();
      search.select();
    } else if (event.key === "Escape" && document.activeElement === search) {
      document.getElementById("quick-search-results").innerHTML = "";
    } else if (event.key === "ArrowDown" && document.activeElement === search) {
      var first = document.querySelector("#quick-search-results a");
      if (first) { event.preventDefault(); first.focus(); }
    }
  });
  document.addEventListener("keydown", function (event) {
    var link = document.activeElement;
    if (!link || !link.closest || !link.closest("#quick-search-results")) { return; }
    var links = Array.prototype.slice.call(document.querySelectorAll("#quick-search-results a"));
    var index = links.indexOf(link);
    if (event.key === "ArrowDown" && index < links.length - 1) { event.preventDefault(); links[index + 1].focus(); }
    if (event.key === "ArrowUp") { event.preventDefault(); (index > 0 ? links[index - 1] : document.getElementById("quick-search")).focus(); }
  });

  // Elements with data-confirm ask before submitting.
  document.addEventListener("submit", function (event) {
    var message = event.target.dataset && event.target.dataset.confirm;
    if (message && !window.confirm(message)) { event.preventDefault(); }
  });

  // Live updates: an element with data-live-group="<group>" subscribes over WebSocket and, on
  // any message, fires the "live-update" event on itself (pages wire hx-trigger to it).
  function connect(element) {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + "/ws/live/" + element.dataset.liveGroup + "/");
    socket.onmessage = function () { htmx.trigger(element, "live-update"); };
    socket.onclose = function () { setTimeout(function () { connect(element); }, 3000); };
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-live-group]").forEach(connect);
  });
})();
