// Supervisor findings pages: live status changes from the supervisors' group.
// Frames: {"type": "finding.updated", "data": {id, status, status_label}} and
// {"type": "findings.refreshed"} (the audit job ran: the list is fetched again).
(function () {
  "use strict";
  var indicator = document.getElementById("audit-live");
  var delay = 1000;
  // The statuses' labels in this viewer's language (the frame's label is the triager's).
  var labelsNode = document.getElementById("finding-status-labels");
  var labels = labelsNode ? JSON.parse(labelsNode.textContent) : {};

  function setStatus(data) {
    var cells = document.querySelectorAll('[data-finding="' + String(Number(data.id)) + '"]');
    cells.forEach(function (node) {
      var cell = node.classList.contains("finding-status") ? node : node.querySelector(".finding-status");
      if (node.tagName === "TR") {
        node.className = node.className.replace(/status-\S+/, "status-" + data.status);
      }
      if (cell) {
        cell.textContent = labels[data.status] || data.status_label;  // textContent: never parsed as HTML
        cell.setAttribute("data-status", data.status);
      }
    });
  }

  function refreshList() {
    var body = document.getElementById("findings-body");
    if (!body) return;
    fetch(window.location.href, { credentials: "same-origin" }).then(function (response) {
      return response.ok ? response.text() : null;
    }).then(function (html) {
      if (!html) return;
      var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("findings-body");
      if (fresh) body.replaceChildren.apply(body, Array.from(fresh.childNodes));
    });
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + "/ws/inbox/");
    socket.addEventListener("open", function () {
      delay = 1000;
      if (indicator) { indicator.textContent = indicator.dataset.live || "Live"; indicator.dataset.state = "live"; }
      refreshList();  // catch up on anything missed while disconnected
    });
    socket.addEventListener("message", function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (error) { return; }
      if (frame.type === "finding.updated" && frame.data) setStatus(frame.data);
      else if (frame.type === "findings.refreshed") refreshList();
    });
    socket.addEventListener("close", function () {
      if (indicator) { indicator.dataset.state = "offline"; }
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    });
  }
  connect();
})();
