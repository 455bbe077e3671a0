// Exception dashboard: one WebSocket to the "exceptions-all" group (data-exceptions-group, not
// frontline.js's data-live-group, which would open a second one). When someone else (or the
// rules) opens, resolves, assigns or acknowledges an exception, a banner offers to refresh; the
// list never re-sorts under the agent's cursor.
(function () {
  "use strict";
  var RETRY_MS = 3000;

  function changed(element, message) {
    if (!message || message.type !== "exceptions") { return; }
    if (message.actor_id !== null && String(message.actor_id) === element.dataset.userId) { return; }
    var banner = document.getElementById("exceptions-changed");
    var count = document.getElementById("exceptions-changed-count");
    if (!banner) { return; }
    if (banner.hidden) {
      banner.hidden = false;
      count.textContent = "1";
    } else {
      count.textContent = String(parseInt(count.textContent, 10) + 1);
    }
  }

  function connect(element) {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + "/ws/live/" + element.dataset.exceptionsGroup + "/");
    socket.onopen = function () { element.dataset.connected = "true"; };
    socket.onmessage = function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      changed(element, message);
    };
    socket.onclose = function (event) {
      element.dataset.connected = "false";
      if (event.code === 4401 || event.code === 4403) { return; }  // signed out or not allowed
      setTimeout(function () { connect(element); }, RETRY_MS);
    };
  }

  document.addEventListener("DOMContentLoaded", function () {
    var element = document.getElementById("exceptions-live");
    if (element) { connect(element); }
  });
})();
