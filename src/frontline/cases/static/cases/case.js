// The case page: keyboard shortcuts, the action dialog, keeping edited forms through live
// refreshes, and presence (who else is viewing or typing) over a WebSocket.
(function () {
  "use strict";

  var TYPING_EVERY_MS = 3000;     // at most one "typing" message per this interval
  var HEARTBEAT_MS = 15000;       // "viewing" heartbeat; the server forgets a viewer after ~45 s
  var TYPING_SHOWN_MS = 8000;     // a colleague's "typing" fades after this long without news

  function page() { return document.getElementById("case-page"); }
  function composerBody() { return document.getElementById("id_body"); }
  function isTyping(element) {
    return element && (/^(INPUT|TEXTAREA|SELECT)$/.test(element.tagName) || element.isContentEditable);
  }

  // --- keyboard: Ctrl/Cmd+Enter sends; "r" replies, "n" writes an internal note ----------------
  function chooseMode(mode) {
    var radio = document.getElementById("mode-" + mode);
    if (!radio) { return false; }
    radio.checked = true;
    radio.dispatchEvent(new Event("change", { bubbles: true }));
    var body = composerBody();
    if (body) { body.focus(); }
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (!page()) { return; }
    var target = event.target;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && target && target.closest && target.closest("#reply-form")) {
      event.preventDefault();
      var form = document.getElementById("reply-form");
      var send = document.getElementById("send-reply");
      if (form && form.requestSubmit) { form.requestSubmit(send || undefined); }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || isTyping(document.activeElement)) { return; }
    if (document.querySelector(".modal.show")) { return; }
    if (event.key === "r" && chooseMode("reply")) { event.preventDefault(); }
    else if (event.key === "n" && chooseMode("note")) { event.preventDefault(); }
  });

  // --- the action dialog ----------------------------------------------------------------------
  document.addEventListener("case-modal-close", function () {
    var element = document.getElementById("case-modal");
    if (element && window.bootstrap) {
      var modal = window.bootstrap.Modal.getInstance(element);
      if (modal) { window.setTimeout(function () { modal.hide(); }, 700); }
    }
  });
  document.addEventListener("hidden.bs.modal", function (event) {
    if (event.target && event.target.id === "case-modal") {
      var body = document.getElementById("case-modal-body");
      var loading = body && body.dataset.loading;
      if (body && loading) { body.innerHTML = loading; }
    }
  });
  document.addEventListener("shown.bs.modal", function (event) {
    if (event.target && event.target.id === "case-modal") {
      var first = event.target.querySelector("#case-action-form input:not([type=hidden]), #case-action-form textarea, #case-action-form select");
      if (first) { first.focus(); }
    }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target && event.target.id === "case-modal-body") {
      var first = event.target.querySelector("#case-action-form input:not([type=hidden]), #case-action-form textarea, #case-action-form select");
      if (first) { first.focus(); }
    }
  });

  // --- forms being edited are not overwritten by a live refresh ---------------------------------
  document.addEventListener("input", markDirty);
  document.addEventListener("change", markDirty);
  function markDirty(event) {
    var form = event.target && event.target.closest && event.target.closest("form[data-track-changes]");
    if (form) { form.dataset.dirty = "true"; }
  }
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (target && target.querySelector && target.querySelector("form[data-dirty=true]")) {
      event.detail.shouldSwap = false;
    }
  });

  // --- the History tab: loaded when opened, reloaded in place when the case changes -------------
  // Every refresh of the page (our action or a live update) brings a new #case-header.
  function historyTabOpen() {
    var pane = document.getElementById("pane-history");
    return !!(pane && pane.classList.contains("active"));
  }
  function loadHistory() {
    var history = document.getElementById("case-history");
    if (!history || history.dataset.loading === "true") { return; }
    history.dataset.loading = "true";
    htmx.ajax("GET", history.dataset.historyUrl, { target: history, swap: "outerHTML" }).then(function () {
      var current = document.getElementById("case-history");  // the same element if it failed
      if (current) { delete current.dataset.loading; }
    });
  }
  document.addEventListener("shown.bs.tab", function (event) {
    var history = document.getElementById("case-history");
    if (event.target.id === "tab-history" && history && history.getAttribute("aria-busy") === "true") { loadHistory(); }
  });
  document.addEventListener("htmx:load", function (event) {
    if (!event.target || event.target.id !== "case-header") { return; }
    var history = document.getElementById("case-history");
    if (!history) { return; }
    if (historyTabOpen()) { loadHistory(); } else { history.setAttribute("aria-busy", "true"); }
  });

  // --- presence --------------------------------------------------------------------------------
  var socket = null;
  var lastTyping = 0;
  var heartbeat = null;
  var viewers = [];
  var receivedAt = 0;
  var fadeTimer = null;
  var stopped = false;

  function send(type) {
    if (socket && socket.readyState === WebSocket.OPEN) { socket.send(JSON.stringify({ type: type })); }
  }

  function render() {
    var box = document.getElementById("case-presence");
    var root = page();
    if (!box || !root) { return; }
    var me = root.dataset.userId;
    var others = viewers.filter(function (viewer) { return String(viewer.id) !== me; });
    var fresh = Date.now() - receivedAt < TYPING_SHOWN_MS;
    var typing = others.filter(function (viewer) { return viewer.typing && fresh; });
    var watching = others.filter(function (viewer) { return !(viewer.typing && fresh); });
    box.textContent = "";
    if (!others.length) { return; }
    var dot = document.createElement("span");
    dot.className = "presence-dot";
    dot.setAttribute("aria-hidden", "true");
    box.appendChild(dot);
    var words = box.dataset;
    var parts = [];
    if (watching.length) {
      parts.push({ text: phrase(watching.length > 1 ? words.manyViewing : words.oneViewing, names(watching, words.and)), typing: false });
    }
    if (typing.length) {
      parts.push({ text: phrase(typing.length > 1 ? words.manyTyping : words.oneTyping, names(typing, words.and)), typing: true });
    }
    parts.forEach(function (part, index) {
      if (index) { box.appendChild(document.createTextNode(" · ")); }
      var span = document.createElement("span");
      span.textContent = part.text;
      if (part.typing) { span.className = "presence-typing"; }
      box.appendChild(span);
    });
    box.dataset.viewers = others.map(function (viewer) { return viewer.name; }).join(",");
  }

  function phrase(template, who) { return (template || "%s").replace("%s", who); }

  function names(list, and) {
    var all = list.map(function (viewer) { return viewer.name; });
    var joiner = " " + (and || "and") + " ";
    if (all.length <= 2) { return all.join(joiner); }
    return all.slice(0, -1).join(", ") + joiner + all[all.length - 1];
  }

  function connect() {
    var root = page();
    if (!root || !root.dataset.presenceSocket || stopped) { return; }
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + root.dataset.presenceSocket);
    socket.onopen = function () {
      send("viewing");
      if (heartbeat) { window.clearInterval(heartbeat); }
      heartbeat = window.setInterval(function () { send("viewing"); }, HEARTBEAT_MS);
    };
    socket.onmessage = function (message) {
      var data;
      try { data = JSON.parse(message.data); } catch (error) { return; }
      if (!data || data.type !== "presence" || !Array.isArray(data.viewers)) { return; }
      viewers = data.viewers;
      receivedAt = Date.now();
      render();
      if (fadeTimer) { window.clearTimeout(fadeTimer); }
      fadeTimer = window.setTimeout(render, TYPING_SHOWN_MS + 50);
    };
    socket.onclose = function (event) {
      if (heartbeat) { window.clearInterval(heartbeat); heartbeat = null; }
      viewers = [];
      render();
      // 4401: signed out; 4403: not allowed. Anything else: try again shortly.
      if (event.code === 4401 || event.code === 4403) { stopped = true; return; }
      window.setTimeout(connect, 3000);
    };
  }

  document.addEventListener("input", function (event) {
    if (!event.target || event.target.id !== "id_body") { return; }
    var now = Date.now();
    if (now - lastTyping > TYPING_EVERY_MS) {
      lastTyping = now;
      send("typing");
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var element = event.detail && event.detail.elt;
    if (element && element.id === "reply-form" && event.detail.successful) {
      lastTyping = 0;
      send("idle");
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var body = document.getElementById("case-modal-body");
    if (body) { body.dataset.loading = body.innerHTML; }
    connect();
  });
})();
