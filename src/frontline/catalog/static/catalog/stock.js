// Live Stock Levels: one WebSocket to the "stock-all" group; when a product on the page changes,
// the results table and/or the detail panel reload themselves (hx-trigger="stock-changed").
(function () {
  "use strict";
  var RETRY_MS = 3000;

  function refresh(productId) {
    var detail = document.getElementById("stock-detail");
    if (detail && detail.dataset.productId === String(productId)) {
      htmx.trigger(detail, "stock-changed");
    }
    var results = document.getElementById("stock-results");
    if (results && results.querySelector('[data-product-id="' + productId + '"]')) {
      htmx.trigger(results, "stock-changed");
    }
  }

  function connect(element) {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + "/ws/live/" + element.dataset.stockGroup + "/");
    socket.onopen = function () { element.dataset.connected = "true"; };
    socket.onmessage = function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      if (message && message.type === "stock" && message.product_id) { refresh(message.product_id); }
    };
    socket.onclose = function (event) {
      element.dataset.connected = "false";
      if (event.code === 4401 || event.code === 4403) { return; }  // signed out or not allowed
      setTimeout(function () { connect(element); }, RETRY_MS);
    };
  }

  document.addEventListener("DOMContentLoaded", function () {
    var element = document.getElementById("stock-live");
    if (element) { connect(element); }
  });
})();
