// The liaison's queue, kept current over ws/liaison/ without reloading.
// Everything from the server is written with textContent, never as HTML.
(function () {
  "use strict";

  var STRINGS = {
    vi: {
      overdue: "Quá hạn",
      live: "Đang cập nhật trực tiếp",
      offline: "Mất kết nối, đang thử lại…",
      forbidden: "Phiên làm việc không còn hiệu lực. Hãy đăng nhập lại.",
      none: "—"
    },
    en: {
      overdue: "Overdue",
      live: "Live updates on",
      offline: "Disconnected, retrying…",
      forbidden: "Your session is no longer valid. Please sign in again.",
      none: "—"
    }
  };
  var lang = (document.documentElement.lang || "vi").slice(0, 2);
  var t = STRINGS[lang] || STRINGS.vi;

  var body = document.getElementById("queue");
  var empty = document.getElementById("queue-empty");
  var status = document.getElementById("live-status");
  if (!body) {
    return;
  }

  function formatDeadline(iso) {
    var date = new Date(iso);
    return date.toLocaleString(lang === "en" ? "en-GB" : "vi-VN", {
      day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit"
    });
  }

  function isOverdue(row) {
    var deadline = row.getAttribute("data-deadline");
    return Boolean(deadline) && new Date(deadline).getTime() < Date.now();
  }

  function fillDeadline(cell, row) {
    cell.textContent = "";
    var deadline = row.getAttribute("data-deadline");
    if (!deadline) {
      cell.textContent = t.none;
      return;
    }
    var time = document.createElement("time");
    time.setAttribute("datetime", deadline);
    time.textContent = formatDeadline(deadline);
    cell.appendChild(time);
    var overdue = isOverdue(row);
    row.classList.toggle("overdue", overdue);
    if (overdue) {
      var mark = document.createElement("strong");
      mark.className = "overdue-mark";
      mark.textContent = " " + t.overdue;
      cell.appendChild(mark);
    }
  }

  function cell(text) {
    var td = document.createElement("td");
    td.textContent = text;
    return td;
  }

  function buildRow(item) {
    var row = document.createElement("tr");
    row.setAttribute("data-id", String(item.id));
    row.setAttribute("data-deadline", item.deadline || "");
    row.className = "urgency-" + item.urgency;
    var first = document.createElement("td");
    var link = document.createElement("a");
    link.href = item.url;
    link.textContent = "#" + item.id + " · " + item.reference;
    first.appendChild(link);
    row.appendChild(first);
    row.appendChild(cell(item.type_label));
    row.appendChild(cell(item.urgency_label));
    var stateCell = document.createElement("td");
    var state = document.createElement("span");
    state.className = "state state-" + item.state;
    state.textContent = item.state_label;
    stateCell.appendChild(state);
    row.appendChild(stateCell);
    var deadline = document.createElement("td");
    deadline.className = "deadline";
    row.appendChild(deadline);
    fillDeadline(deadline, row);
    return row;
  }

  // Open escalations by deadline first, then the finished ones, newest first.
  function sortKey(row) {
    var deadline = row.getAttribute("data-deadline");
    return deadline ? new Date(deadline).getTime() : Number.MAX_SAFE_INTEGER;
  }

  function placeRow(row) {
    var key = sortKey(row);
    var rows = body.querySelectorAll("tr");
    for (var i = 0; i < rows.length; i++) {
      if (rows[i] !== row && sortKey(rows[i]) > key) {
        body.insertBefore(row, rows[i]);
        return;
      }
    }
    body.appendChild(row);
  }

  function findRow(id) {
    return body.querySelector('tr[data-id="' + String(Number(id)) + '"]');
  }

  function refreshEmpty() {
    if (empty) {
      empty.hidden = body.querySelector("tr") !== null;
    }
  }

  function upsert(item, fresh) {
    var old = findRow(item.id);
    var row = buildRow(item);
    if (old) {
      body.removeChild(old);
    }
    if (fresh) {
      row.classList.add("fresh");
    }
    placeRow(row);
    refreshEmpty();
  }

  function replaceAll(items) {
    while (body.firstChild) {
      body.removeChild(body.firstChild);
    }
    items.forEach(function (item) { body.appendChild(buildRow(item)); });
    refreshEmpty();
  }

  function remove(id) {
    var row = findRow(id);
    if (row) {
      body.removeChild(row);
    }
    refreshEmpty();
  }

  var delay = 1000;
  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + body.getAttribute("data-socket"));
    socket.addEventListener("open", function () {
      delay = 1000;
      if (status) { status.textContent = t.live; }
    });
    socket.addEventListener("message", function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      if (frame.type === "queue") {
        replaceAll(frame.items || []);
      } else if (frame.type === "escalation" && frame.item) {
        upsert(frame.item, true);
      } else if (frame.type === "removed") {
        remove(frame.escalation);
      }
    });
    socket.addEventListener("close", function (event) {
      if (event.code === 4403) {
        if (status) { status.textContent = t.forbidden; }
        return;
      }
      if (status) { status.textContent = t.offline; }
      window.setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    });
  }

  // Deadlines pass while the page is open: mark them without a server round trip.
  function tick() {
    body.querySelectorAll("tr").forEach(function (row) {
      var deadlineCell = row.querySelector("td.deadline");
      if (deadlineCell) { fillDeadline(deadlineCell, row); }
    });
  }

  tick();
  window.setInterval(tick, 30000);
  connect();
})();
