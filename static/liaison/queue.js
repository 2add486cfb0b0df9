// The liaison's queue, kept current over ws/liaison/ without reloading: what is new to
// this liaison, which deadline is counted and how long is left, counted down to the minute.
// Everything from the server is written with textContent, never as HTML.
//
// The queue comes in pages, the most urgent first, and may be filtered. The socket's queue
// frame is the first page, so it replaces the rows only there, unfiltered. On any page a
// row that changes is updated, or taken off once finished or out of the filter; a new
// escalation that matches the filter is added to the first page only.
(function () {
  "use strict";

  // The same words as the server's (escalation/views.py, time_left_text), in both languages.
  var STRINGS = {
    vi: {
      unread: "Mới",
      live: "Đang cập nhật trực tiếp",
      offline: "Mất kết nối, đang thử lại…",
      forbidden: "Phiên làm việc không còn hiệu lực. Hãy đăng nhập lại.",
      none: "—",
      left: "Còn {time}",
      overdueBy: "Quá hạn {time}",
      days: "{n} ngày",
      hours: "{n} giờ",
      minutes: "{n} phút",
      underMinute: "dưới 1 phút"
    },
    en: {
      unread: "New",
      live: "Live updates on",
      offline: "Disconnected, retrying…",
      forbidden: "Your session is no longer valid. Please sign in again.",
      none: "—",
      left: "{time} left",
      overdueBy: "Overdue by {time}",
      days: "{n} d",
      hours: "{n} h",
      minutes: "{n} min",
      underMinute: "under 1 min"
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
  var isFirst = body.getAttribute("data-first") !== "false";
  var hasMore = body.getAttribute("data-more") === "true";
  var filters = {
    state: body.getAttribute("data-filter-state") || "",
    urgency: body.getAttribute("data-filter-urgency") || "",
    type: body.getAttribute("data-filter-type") || ""
  };
  var filtered = Boolean(filters.state || filters.urgency || filters.type);

  // Time left is counted on the server's clock: the page and each queue frame say
  // what time the server had, and this computer's clock may be off by minutes.
  var clockOffset = 0;
  function setServerNow(iso) {
    var server = iso ? new Date(iso).getTime() : NaN;
    if (!isNaN(server)) {
      clockOffset = server - Date.now();
    }
  }
  function serverNow() {
    return Date.now() + clockOffset;
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (match, key) {
      return values[key];
    });
  }

  // A duration to the minute, its two largest units: "2 ngày 3 giờ", "3 giờ 12 phút".
  function durationText(seconds) {
    var minutes = Math.floor(seconds / 60);
    var units = [
      [Math.floor(minutes / 1440), t.days],
      [Math.floor((minutes % 1440) / 60), t.hours],
      [minutes % 60, t.minutes]
    ];
    while (units.length && units[0][0] === 0) {
      units.shift();
    }
    if (!units.length) {
      return t.underMinute;
    }
    return units.slice(0, 2).filter(function (unit) { return unit[0] > 0; })
      .map(function (unit) { return fill(unit[1], { n: unit[0] }); }).join(" ");
  }

  function formatDeadline(iso) {
    var date = new Date(iso);
    return date.toLocaleString(lang === "en" ? "en-GB" : "vi-VN", {
      day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit"
    });
  }

  // Overdue is computed from the deadline and the clock, as on the server; never stored.
  function fillTimeLeft(cell, row) {
    cell.textContent = "";
    var deadline = row.getAttribute("data-deadline");
    if (!deadline) {
      cell.textContent = t.none;
      row.classList.remove("overdue");
      return;
    }
    var remaining = (new Date(deadline).getTime() - serverNow()) / 1000;
    var overdue = remaining < 0;
    row.classList.toggle("overdue", overdue);
    if (overdue) {
      var mark = document.createElement("strong");
      mark.className = "overdue-mark";
      mark.textContent = fill(t.overdueBy, { time: durationText(Math.floor(-remaining)) });
      cell.appendChild(mark);
    } else {
      cell.textContent = fill(t.left, { time: durationText(Math.floor(remaining)) });
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
    if (item.unread) {
      row.classList.add("unread");
      var mark = document.createElement("span");
      mark.className = "unread-mark";
      mark.textContent = t.unread;
      first.appendChild(document.createTextNode(" "));
      first.appendChild(mark);
    }
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
    if (item.deadline) {
      var kind = document.createElement("span");
      kind.className = "deadline-kind";
      kind.textContent = item.deadline_label;
      var time = document.createElement("time");
      time.setAttribute("datetime", item.deadline);
      time.textContent = formatDeadline(item.deadline);
      deadline.appendChild(kind);
      deadline.appendChild(document.createTextNode(" "));
      deadline.appendChild(time);
    } else {
      deadline.textContent = t.none;
    }
    row.appendChild(deadline);
    var timeLeft = document.createElement("td");
    timeLeft.className = "time-left";
    row.appendChild(timeLeft);
    fillTimeLeft(timeLeft, row);
    return row;
  }

  // By the deadline counted now; those waiting on the hotline (no deadline) last.
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

  function remove(id) {
    var row = findRow(id);
    if (row) {
      body.removeChild(row);
    }
    refreshEmpty();
  }

  function matchesFilters(item) {
    return Object.keys(filters).every(function (field) {
      return !filters[field] || item[field] === filters[field];
    });
  }

  // A new escalation is added to the first page only, before its last row (anywhere when
  // no page follows): a later page is read again when the liaison opens it.
  function belongsOnFirstPage(row) {
    if (!isFirst) {
      return false;
    }
    var rows = body.querySelectorAll("tr");
    if (!hasMore || !rows.length) {
      return true;
    }
    return sortKey(row) <= sortKey(rows[rows.length - 1]);
  }

  function upsert(item) {
    if (item.finished || !matchesFilters(item)) {
      // Resolved, declined or withdrawn: it belongs to the other tab now. Or it no
      // longer matches what this page is filtered by.
      remove(item.id);
      return;
    }
    var old = findRow(item.id);
    var row = buildRow(item);
    if (!old && !belongsOnFirstPage(row)) {
      return;
    }
    if (old) {
      // A row already on the page stays on it, updated and put in its place.
      body.removeChild(old);
    }
    row.classList.add("fresh");
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
        setServerNow(frame.now);
        if (isFirst && !filtered) {
          hasMore = frame.more === true;
          replaceAll(frame.items || []);
        }
      } else if (frame.type === "escalation" && frame.item) {
        upsert(frame.item);
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

  // Deadlines come closer and pass while the page is open: count down without a round trip.
  function tick() {
    body.querySelectorAll("tr").forEach(function (row) {
      var timeLeft = row.querySelector("td.time-left");
      if (timeLeft) { fillTimeLeft(timeLeft, row); }
    });
  }

  setServerNow(body.getAttribute("data-now"));
  tick();
  window.setInterval(tick, 15000);
  connect();
})();
