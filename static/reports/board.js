// The supervisors' live board: every snapshot from ws/board/ redrawn into the page's tables,
// the waits and handling times counted up on the server's clock, and a short spoken summary
// of what changed. No content ever arrives here: codes, counts, times and usernames.
// Everything from the server is written with textContent, never as HTML.
(function () {
  "use strict";

  var STRINGS = {
    vi: {
      connecting: "Đang kết nối…",
      live: "Đang cập nhật trực tiếp. Cập nhật lúc {time}.",
      offline: "Mất kết nối, đang thử lại…",
      forbidden: "Phiên làm việc không còn hiệu lực. Hãy đăng nhập lại.",
      none: "—",
      nothing: "Không có.",
      more: "Còn {n} dòng nữa không hiển thị.",
      central: "Trung ương",
      monitor: "Theo dõi",
      monitorLabel: "Theo dõi cuộc trao đổi {channel} của {hotline} (việc theo dõi được ghi lại)",
      changed: "Thay đổi: {list}.",
      change: "{what} {from} → {to}",
      seconds: "{n} giây",
      minutes: "{n} phút",
      hours: "{n} giờ",
      left: "Còn {time}",
      overdueBy: "Quá hạn {time}",
      deadline: { acknowledge: "Hạn tiếp nhận", resolve: "Hạn giải quyết" },
      totals: {
        queue: "Đang chờ",
        over_threshold: "Chờ quá ngưỡng",
        at_risk: "Rủi ro cao đang diễn ra",
        active: "Đang trao đổi",
        online: "Cán bộ trực tuyến",
        available: "Sẵn sàng",
        busy: "Đang bận",
        at_capacity: "Đã đủ số cuộc",
        contacts_today: "Liên hệ hôm nay",
        contacts_usual: "Cùng giờ, trung bình 4 tuần",
        escalations_due: "Chuyển tuyến sắp đến hạn",
        escalations_overdue: "Chuyển tuyến quá hạn",
        incidents: "Sự việc đang theo dõi"
      },
      channel: { webchat: "Trò chuyện trên web", voice: "Cuộc gọi", sms: "Tin nhắn SMS" },
      risk: { "": "Chưa đánh giá", low: "Thấp", medium: "Trung bình", high: "Cao", imminent: "Nguy hiểm tức thời" },
      danger: "Bấm “Tôi đang gặp nguy hiểm”",
      state: { queued: "Đang chờ", active: "Đang trao đổi" },
      escalationState: { sent: "Đã gửi", acknowledged: "Đã tiếp nhận", in_progress: "Đang xử lý" },
      severity: { low: "Thấp", medium: "Trung bình", high: "Cao", critical: "Nghiêm trọng" }
    },
    en: {
      connecting: "Connecting…",
      live: "Live updates on. Updated at {time}.",
      offline: "Disconnected, retrying…",
      forbidden: "Your session is no longer valid. Please sign in again.",
      none: "—",
      nothing: "None.",
      more: "{n} more rows not shown.",
      central: "Central",
      monitor: "Monitor",
      monitorLabel: "Monitor the {channel} conversation of {hotline} (monitoring is recorded)",
      changed: "Changed: {list}.",
      change: "{what} {from} → {to}",
      seconds: "{n} s",
      minutes: "{n} min",
      hours: "{n} h",
      left: "{time} left",
      overdueBy: "Overdue by {time}",
      deadline: { acknowledge: "Acknowledge by", resolve: "Resolve by" },
      totals: {
        queue: "Waiting",
        over_threshold: "Waiting over the threshold",
        at_risk: "High risk in progress",
        active: "In conversation",
        online: "Staff online",
        available: "Available",
        busy: "Busy",
        at_capacity: "At capacity",
        contacts_today: "Contacts today",
        contacts_usual: "Same time, 4-week average",
        escalations_due: "Escalations due soon",
        escalations_overdue: "Escalations overdue",
        incidents: "Open incidents"
      },
      channel: { webchat: "Web chat", voice: "Call", sms: "SMS" },
      risk: { "": "Not assessed", low: "Low", medium: "Medium", high: "High", imminent: "Imminent danger" },
      danger: "Pressed “I'm in danger now”",
      state: { queued: "Waiting", active: "In conversation" },
      escalationState: { sent: "Sent", acknowledged: "Acknowledged", in_progress: "In progress" },
      severity: { low: "Low", medium: "Medium", high: "High", critical: "Critical" }
    }
  };
  var lang = (document.documentElement.lang || "vi").slice(0, 2);
  var t = STRINGS[lang] || STRINGS.vi;
  var locale = lang === "en" ? "en-GB" : "vi-VN";

  var root = document.getElementById("board");
  if (!root) {
    return;
  }
  var status = document.getElementById("board-status");
  var changes = document.getElementById("board-changes");
  var summary = document.getElementById("board-summary");
  var consoleUrl = root.getAttribute("data-console") || "/console/";
  // The figures the spoken summary of changes mentions, in this order.
  var ANNOUNCED = ["queue", "over_threshold", "at_risk", "active", "online", "escalations_overdue", "incidents"];
  var SUMMARY = ["queue", "over_threshold", "at_risk", "active", "online", "available", "busy",
    "at_capacity", "contacts_today", "contacts_usual", "escalations_due", "escalations_overdue", "incidents"];
  var ALERTS = { over_threshold: true, at_risk: true, escalations_overdue: true };

  // Waits are counted on the server's clock: each snapshot says what time it had.
  var clockOffset = 0;
  function serverNow() {
    return Date.now() + clockOffset;
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (match, key) {
      return values[key];
    });
  }

  function number(value) {
    return Number(value || 0).toLocaleString(locale, { maximumFractionDigits: 1 });
  }

  // A duration, its two largest units: "1 giờ 5 phút", "3 phút 12 giây".
  function durationText(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var units = [
      [Math.floor(seconds / 3600), t.hours],
      [Math.floor((seconds % 3600) / 60), t.minutes],
      [seconds % 60, t.seconds]
    ];
    while (units.length > 1 && units[0][0] === 0) {
      units.shift();
    }
    return units.slice(0, 2).map(function (unit) { return fill(unit[1], { n: unit[0] }); }).join(" ");
  }

  function clockText(iso) {
    var date = new Date(iso);
    return isNaN(date.getTime()) ? t.none : date.toLocaleString(locale, {
      day: "2-digit", month: "2-digit", hour: "2-digit", minute: "2-digit"
    });
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function cell(text, className) {
    return el("td", className, text);
  }

  function numberCell(value) {
    return cell(number(value), "number");
  }

  // A cell counting up from a moment (or down to a deadline), redrawn every second.
  function sinceCell(iso) {
    var td = el("td", "since");
    if (iso) { td.setAttribute("data-since", iso); }
    drawSince(td);
    return td;
  }

  function drawSince(td) {
    var since = td.getAttribute("data-since");
    td.textContent = since ? durationText((serverNow() - new Date(since).getTime()) / 1000) : t.none;
  }

  function drawDeadline(td) {
    var deadline = td.getAttribute("data-deadline");
    if (!deadline) { td.textContent = t.none; return; }
    var remaining = (new Date(deadline).getTime() - serverNow()) / 1000;
    td.textContent = remaining < 0 ? fill(t.overdueBy, { time: durationText(-remaining) })
      : fill(t.left, { time: durationText(remaining) });
    td.parentNode && td.parentNode.classList.toggle("overdue", remaining < 0);
  }

  var hotlineNames = {};
  function hotlineName(code) {
    var name = hotlineNames[code];
    return name ? (name[lang] || name.vi) : code;
  }

  function riskCell(item) {
    var td = el("td");
    var risk = el("span", "risk risk-" + (item.risk || "none"), t.risk[item.risk || ""] || item.risk);
    td.appendChild(risk);
    if (item.danger) {
      td.appendChild(document.createTextNode(" "));
      td.appendChild(el("strong", "danger-mark", t.danger));
    }
    return td;
  }

  function monitorCell(item) {
    var td = el("td");
    var link = el("a", "monitor-link", t.monitor);
    link.href = consoleUrl + "#monitor=" + encodeURIComponent(item.conversation);
    link.setAttribute("aria-label", fill(t.monitorLabel, {
      channel: t.channel[item.channel] || item.channel,
      hotline: hotlineName(item.hotline)
    }));
    td.appendChild(link);
    return td;
  }

  function tbodyOf(id) {
    var table = document.getElementById(id);
    return table ? table.tBodies[0] : null;
  }

  // Replace a table's rows; an empty list says so, a cut list says how many are left out.
  function fillTable(id, items, total, build) {
    var body = tbodyOf(id);
    if (!body) { return; }
    var columns = body.parentNode.tHead.rows[0].cells.length;
    while (body.firstChild) { body.removeChild(body.firstChild); }
    items.forEach(function (item) { body.appendChild(build(item)); });
    var note = null;
    if (!items.length) {
      note = t.nothing;
    } else if (total > items.length) {
      note = fill(t.more, { n: total - items.length });
    }
    if (note) {
      var row = el("tr", "empty-row");
      var td = cell(note);
      td.colSpan = columns;
      row.appendChild(td);
      body.appendChild(row);
    }
  }

  function drawSummary(totals) {
    while (summary.firstChild) { summary.removeChild(summary.firstChild); }
    SUMMARY.forEach(function (key) {
      var box = el("div", ALERTS[key] && totals[key] > 0 ? "alert" : null);
      box.appendChild(el("dt", null, t.totals[key]));
      box.appendChild(el("dd", null, number(totals[key])));
      box.setAttribute("data-key", key);
      summary.appendChild(box);
    });
  }

  function hotlineRow(row, threshold) {
    var tr = el("tr");
    tr.setAttribute("data-hotline", row.code);
    var waitedLong = row.waiting_since &&
      (serverNow() - new Date(row.waiting_since).getTime()) / 1000 >= threshold;
    if (waitedLong) { tr.classList.add("pressure"); }
    var name = el("th", null, (row.name && (row.name[lang] || row.name.vi)) || row.code);
    name.scope = "row";
    tr.appendChild(name);
    tr.appendChild(numberCell(row.queue));
    var wait = sinceCell(row.waiting_since);
    wait.classList.add("wait");
    tr.appendChild(wait);
    ["over_threshold", "online", "available", "busy", "at_capacity", "active", "at_risk",
      "contacts_today", "contacts_usual", "escalations_due", "escalations_overdue"].forEach(function (key) {
      tr.appendChild(numberCell(row[key]));
    });
    return tr;
  }

  function atRiskRow(item) {
    var tr = el("tr");
    tr.setAttribute("data-conversation", item.conversation);
    tr.appendChild(cell(hotlineName(item.hotline)));
    tr.appendChild(cell(t.state[item.state] || item.state));
    tr.appendChild(cell(t.channel[item.channel] || item.channel));
    tr.appendChild(riskCell(item));
    tr.appendChild(cell(item.operator || t.none));
    tr.appendChild(sinceCell(item.since));
    tr.appendChild(monitorCell(item));
    return tr;
  }

  function waitingRow(item) {
    var tr = el("tr");
    tr.setAttribute("data-conversation", item.conversation);
    tr.appendChild(cell(hotlineName(item.hotline)));
    tr.appendChild(cell(t.channel[item.channel] || item.channel));
    tr.appendChild(riskCell(item));
    tr.appendChild(sinceCell(item.waiting_since));
    tr.appendChild(monitorCell(item));
    return tr;
  }

  function activeRow(item) {
    var tr = el("tr");
    tr.setAttribute("data-conversation", item.conversation);
    tr.appendChild(cell(hotlineName(item.hotline)));
    tr.appendChild(cell(t.channel[item.channel] || item.channel));
    tr.appendChild(riskCell(item));
    tr.appendChild(cell(item.operator || t.none));
    tr.appendChild(cell(item.waited === null ? t.none : durationText(item.waited)));
    tr.appendChild(sinceCell(item.answered_at));
    tr.appendChild(monitorCell(item));
    return tr;
  }

  function escalationRow(item) {
    var tr = el("tr", item.overdue ? "overdue" : null);
    tr.setAttribute("data-escalation", String(item.id));
    var first = el("td");
    var link = el("a", null, "#" + item.id);
    link.href = item.url;
    first.appendChild(link);
    tr.appendChild(first);
    tr.appendChild(cell(hotlineName(item.hotline)));
    tr.appendChild(cell(item.agency ? (item.agency[lang] || item.agency.vi) : t.none));
    tr.appendChild(cell(t.escalationState[item.state] || item.state));
    tr.appendChild(cell((t.deadline[item.deadline_kind] || "") + " " + clockText(item.deadline)));
    var left = el("td", "deadline");
    if (item.deadline) { left.setAttribute("data-deadline", item.deadline); }
    tr.appendChild(left);
    drawDeadline(left);
    return tr;
  }

  function incidentRow(item) {
    var tr = el("tr");
    tr.setAttribute("data-incident", String(item.id));
    var first = el("td");
    var link = el("a", null, "#" + item.id + " · " + item.title);
    link.href = item.url;
    first.appendChild(link);
    if (item.platform) { first.appendChild(el("div", "meta", item.platform)); }
    tr.appendChild(first);
    var severity = el("td");
    severity.appendChild(el("span", "severity severity-" + item.severity, t.severity[item.severity] || item.severity));
    tr.appendChild(severity);
    tr.appendChild(cell(item.category ? (item.category[lang] || item.category.vi) : t.none));
    tr.appendChild(cell((item.provinces || []).join(", ") || t.none));
    tr.appendChild(numberCell(item.cases));
    tr.appendChild(cell(clockText(item.opened_at)));
    return tr;
  }

  var previous = null;
  function announce(totals) {
    if (!previous) { return; }
    var list = [];
    ANNOUNCED.forEach(function (key) {
      if (previous[key] !== totals[key]) {
        list.push(fill(t.change, { what: t.totals[key], from: number(previous[key]), to: number(totals[key]) }));
      }
    });
    if (list.length) { changes.textContent = fill(t.changed, { list: list.join("; ") }); }
  }

  function draw(board, now) {
    var server = new Date(now).getTime();
    if (!isNaN(server)) { clockOffset = server - Date.now(); }
    hotlineNames = {};
    (board.hotlines || []).forEach(function (row) { hotlineNames[row.code] = row.name; });
    var totals = board.totals || {};
    drawSummary(totals);
    fillTable("board-hotlines", board.hotlines || [], 0, function (row) { return hotlineRow(row, board.threshold || 0); });
    fillTable("board-at-risk", board.at_risk || [], totals.at_risk, atRiskRow);
    fillTable("board-waiting", board.waiting || [], totals.over_threshold, waitingRow);
    fillTable("board-active", board.active || [], totals.active, activeRow);
    fillTable("board-escalations", board.escalations || [],
      (totals.escalations_due || 0) + (totals.escalations_overdue || 0), escalationRow);
    fillTable("board-incidents", board.incidents || [], totals.incidents, incidentRow);
    announce(totals);
    previous = totals;
    status.className = "board-status";
    status.textContent = fill(t.live, { time: new Date(server || Date.now()).toLocaleTimeString(locale) });
  }

  var delay = 1000;
  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + root.getAttribute("data-socket"));
    var ping = null;
    socket.addEventListener("open", function () {
      delay = 1000;
      ping = window.setInterval(function () { socket.send('{"type":"ping"}'); }, 20000);
    });
    socket.addEventListener("message", function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      if (frame.type === "board" && frame.board) {
        draw(frame.board, frame.now);
      }
    });
    socket.addEventListener("close", function (event) {
      window.clearInterval(ping);
      status.className = "board-status bad";
      if (event.code === 4403) {
        status.textContent = t.forbidden;
        return;
      }
      status.textContent = t.offline;
      window.setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    });
  }

  // Waits and handling times grow while nothing is signalled: count them here.
  window.setInterval(function () {
    root.querySelectorAll("td[data-since]").forEach(drawSince);
    root.querySelectorAll("td[data-deadline]").forEach(drawDeadline);
  }, 1000);
  status.textContent = t.connecting;
  connect();
})();
