/* Operator console. Plain ES2017, no dependencies.
 *
 * The server is the source of truth: panes merge what it sends by seq, so a
 * frame seen twice changes nothing and a reconnect resyncs every open pane from
 * the last contiguous seq. Replies typed while offline wait in the pane's outbox
 * and go again with the same client_id.
 * Every piece of text from the network is written with textContent.
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("console-config").textContent);
  var lang = (document.documentElement.lang || "vi").slice(0, 2) === "en" ? "en" : "vi";
  var STRINGS = {
    vi: {
      connecting: "Đang kết nối…",
      connected: "Đã kết nối.",
      offline: "Mất kết nối, đang thử lại… Tin nhắn chưa gửi sẽ được gửi lại.",
      forbidden: "Tài khoản này không dùng được bàn trực tuyến.",
      available: "Sẵn sàng",
      away: "Tạm vắng",
      load: "Đang xử lý {n}/{max} cuộc",
      accept: "Nhận",
      waited: "chờ {t}",
      webchat: "Trò chuyện web",
      voice: "Cuộc gọi",
      sms: "SMS",
      central: "Không rõ tỉnh",
      overflow: "chuyển lên trung ương",
      transferredIn: "được chuyển đến",
      noRisk: "chưa đánh giá",
      you: "Bạn",
      youth: "Người liên hệ",
      operator: "Tư vấn viên",
      system: "Hệ thống",
      sending: "đang gửi…",
      waitingNet: "chờ có mạng",
      failed: "không gửi được: {detail}",
      youthOnline: "đang trực tuyến",
      youthOffline: "đã rời trang hoặc mất mạng",
      ended: "Cuộc trò chuyện đã kết thúc.",
      endedBy: {
        quick_exit: "Người liên hệ đã thoát nhanh.",
        youth_left: "Người liên hệ đã kết thúc cuộc trò chuyện.",
        operator_ended: "Bạn đã kết thúc cuộc trò chuyện.",
        timeout: "Cuộc trò chuyện đã hết thời gian chờ.",
      },
      abandoned: "Người liên hệ đã rời đi trước khi được nhận.",
      transferred: "Đã chuyển tới tổng đài {h}. Bạn có thể đóng thẻ này.",
      quickExitToast: "Người liên hệ ({who}) vừa bấm THOÁT NHANH.",
      takenToast: "Cuộc này đã có tư vấn viên khác nhận.",
      capacityToast: "Bạn đang xử lý tối đa số cuộc. Kết thúc một cuộc trước khi nhận thêm.",
      caseLinked: "Đã liên kết hồ sơ {ref}.",
      caseCreated: "Đã tạo hồ sơ {ref}.",
      openCase: "Hồ sơ {ref}",
      closeTab: "Đóng thẻ",
      confirmEnd: "Kết thúc cuộc trò chuyện này?",
      confirmTransfer: "Chuyển cuộc trò chuyện tới tổng đài đã chọn?",
      chooseHotline: "Chọn tổng đài…",
      escalation: "Chuyển tuyến {ref} – {agency}: {state}",
      error: "Lỗi: {detail}",
      close: "Đóng thông báo",
      unread: "tin mới",
      seconds: "{s} giây",
      minutes: "{m} phút {s} giây",
      hours: "{h} giờ {m} phút",
    },
    en: {
      connecting: "Connecting…",
      connected: "Connected.",
      offline: "Connection lost, retrying… Unsent messages will be sent again.",
      forbidden: "This account cannot use the live console.",
      available: "Available",
      away: "Away",
      load: "Handling {n}/{max} chats",
      accept: "Accept",
      waited: "waiting {t}",
      webchat: "Web chat",
      voice: "Call",
      sms: "SMS",
      central: "Province unknown",
      overflow: "overflow to central",
      transferredIn: "transferred in",
      noRisk: "not assessed",
      you: "You",
      youth: "Young person",
      operator: "Counsellor",
      system: "System",
      sending: "sending…",
      waitingNet: "waiting for network",
      failed: "not sent: {detail}",
      youthOnline: "online",
      youthOffline: "left the page or lost the network",
      ended: "The conversation has ended.",
      endedBy: {
        quick_exit: "The young person used quick exit.",
        youth_left: "The young person ended the conversation.",
        operator_ended: "You ended the conversation.",
        timeout: "The conversation timed out.",
      },
      abandoned: "The young person left before anyone answered.",
      transferred: "Transferred to hotline {h}. You can close this tab.",
      quickExitToast: "The young person ({who}) just used QUICK EXIT.",
      takenToast: "Another counsellor accepted this one first.",
      capacityToast: "You are at capacity. End a chat before accepting another.",
      caseLinked: "Linked to case {ref}.",
      caseCreated: "Created case {ref}.",
      openCase: "Case {ref}",
      closeTab: "Close tab",
      confirmEnd: "End this conversation?",
      confirmTransfer: "Transfer the conversation to the chosen hotline?",
      chooseHotline: "Choose a hotline…",
      escalation: "Escalation {ref} – {agency}: {state}",
      error: "Error: {detail}",
      close: "Dismiss",
      unread: "new",
      seconds: "{s} s",
      minutes: "{m} min {s} s",
      hours: "{h} h {m} min",
    },
  };
  var T = STRINGS[lang];

  function $(id) { return document.getElementById(id); }
  var els = {
    queue: $("queue"), queueEmpty: $("queue-empty"), queueCount: $("queue-count"),
    presence: $("presence"), connection: $("connection"), load: $("load"),
    tabs: $("tabs"), panes: $("panes"), noChats: $("no-chats"), toasts: $("toasts"),
    template: $("pane-template"),
  };

  var socket = null;
  var attempts = 0;
  var reconnectTimer = null;
  var heartbeat = null;
  var stopped = false;
  var presence = "away";
  var capacity = config.capacity;
  var canned = [];
  var queueItems = [];
  var panes = new Map();   // conversation id -> pane
  var selected = null;
  var awaitingAccept = null;  // focus moves to a pane only when the operator just accepted it

  /* ---- helpers ---- */
  function fmt(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_, key) { return values[key] == null ? "" : String(values[key]); });
  }
  function uuid4() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    return node;
  }
  function icon(channel) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("class", "icon icon-" + channel);
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var use = document.createElementNS(ns, "use");
    use.setAttribute("href", "#icon-" + channel);
    svg.appendChild(use);
    return svg;
  }
  function provinceName(code) {
    if (!code) return T.central;
    return config.provinces[code] || code;
  }
  function riskLabel(risk) { return risk ? (config.risks[risk] || risk) : T.noRisk; }
  function duration(ms) {
    var total = Math.max(0, Math.floor(ms / 1000));
    var h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
    if (h) return fmt(T.hours, { h: h, m: m });
    if (m) return fmt(T.minutes, { m: m, s: s });
    return fmt(T.seconds, { s: s });
  }
  function timeLabel(iso) {
    var d = iso ? new Date(iso) : new Date();
    if (isNaN(d.getTime())) d = new Date();
    return d.toLocaleTimeString(lang === "en" ? "en-GB" : "vi-VN", { hour: "2-digit", minute: "2-digit" });
  }
  function describe(item) {
    return provinceName(item.province) + " · " + (T[item.channel] || item.channel);
  }

  /* ---- notifications ---- */
  function toast(text, kind, link) {
    var box = el("div", "toast" + (kind ? " " + kind : ""));
    box.setAttribute("role", kind === "urgent" ? "alert" : "status");
    box.appendChild(el("p", null, text));
    if (link && link.href) {
      var a = el("a", null, link.text);
      a.href = link.href;
      box.appendChild(a);
    }
    var close = el("button", "link", "×");
    close.type = "button";
    close.setAttribute("aria-label", T.close);
    close.addEventListener("click", function () { box.remove(); });
    box.appendChild(close);
    els.toasts.appendChild(box);
    // Urgent notices stay until dismissed; routine ones clear themselves.
    if (kind !== "urgent") setTimeout(function () { box.remove(); }, 12000);
  }

  /* ---- queue ---- */
  function renderQueue(items) {
    queueItems = items || [];
    els.queue.textContent = "";
    queueItems.forEach(function (item) {
      var li = el("li", "queue-item risk-line-" + (item.risk || "none"));
      li.dataset.conversation = item.conversation;
      var head = el("div", "qi-head");
      var channel = el("span", "channel");
      channel.appendChild(icon(item.channel));
      channel.appendChild(el("span", "visually-hidden", T[item.channel] || item.channel));
      head.appendChild(channel);
      head.appendChild(el("strong", "where", provinceName(item.province)));
      head.appendChild(el("span", "risk risk-" + (item.risk || "none"), riskLabel(item.risk)));
      li.appendChild(head);
      var meta = el("div", "qi-meta");
      var wait = el("span", "wait");
      wait.dataset.since = item.waiting_since;
      meta.appendChild(wait);
      if (item.age_group) meta.appendChild(el("span", null, item.age_group));
      if (item.language && item.language !== "vi") meta.appendChild(el("span", null, item.language.toUpperCase()));
      if (item.overflow) meta.appendChild(el("span", "flag", T.overflow));
      if (item.transferred) meta.appendChild(el("span", "flag", T.transferredIn));
      li.appendChild(meta);
      var accept = el("button", "primary accept", T.accept);
      accept.type = "button";
      accept.setAttribute("aria-label", T.accept + ": " + describe(item));
      accept.addEventListener("click", function () {
        accept.disabled = true;
        awaitingAccept = item.conversation;
        send({ type: "accept", conversation: item.conversation });
      });
      li.appendChild(accept);
      els.queue.appendChild(li);
    });
    els.queueCount.textContent = String(queueItems.length);
    els.queueEmpty.hidden = queueItems.length > 0;
    tickWaits();
  }

  function tickWaits() {
    var now = Date.now();
    var waits = els.queue.querySelectorAll(".wait");
    for (var i = 0; i < waits.length; i++) {
      var since = Date.parse(waits[i].dataset.since);
      waits[i].textContent = isNaN(since) ? "" : fmt(T.waited, { t: duration(now - since) });
    }
  }

  /* ---- panes ---- */
  function createPane(info) {
    var id = info.conversation;
    var node = els.template.content.firstElementChild.cloneNode(true);
    var pane = {
      id: id, info: info, node: node, seen: {}, contiguous: 0, outbox: [], typingTimer: null,
      log: node.querySelector(".log"), typing: node.querySelector(".typing"),
      input: node.querySelector(".input"), riskSelect: node.querySelector(".risk-select"),
      caseLink: node.querySelector(".case-link"), caseCreate: node.querySelector(".case-create"),
      caseForm: node.querySelector(".case-link-form"), caseRef: node.querySelector(".case-ref"),
      transferForm: node.querySelector(".transfer-form"), transferSelect: node.querySelector(".transfer-select"),
      endButton: node.querySelector(".end"), composer: node.querySelector(".composer"),
      cannedSelect: node.querySelector(".canned"), quickExit: node.querySelector(".quick-exit-banner"),
      endedBanner: node.querySelector(".ended-banner"), youthStatus: node.querySelector(".youth-status"),
      lastTyping: 0, state: info.state || "active",
    };
    node.id = "pane-" + id;
    pane.endButton.dataset.label = pane.endButton.textContent;
    node.querySelector(".title").textContent = describe(info) + (info.age_group ? " · " + info.age_group : "");
    pane.log.setAttribute("aria-label", describe(info));

    var tab = el("button", "tab");
    tab.type = "button";
    tab.id = "tab-" + id;
    tab.setAttribute("role", "tab");
    tab.setAttribute("aria-controls", node.id);
    tab.appendChild(icon(info.channel || "webchat"));
    // Several chats from the same province need telling apart at a glance.
    tab.appendChild(el("span", "tab-label", provinceName(info.province) + " · " + id.slice(0, 4)));
    pane.badge = el("span", "badge", "");
    pane.badge.hidden = true;
    tab.appendChild(pane.badge);
    tab.addEventListener("click", function () { select(id, true); });
    tab.addEventListener("keydown", onTabKey);
    node.setAttribute("aria-labelledby", tab.id);
    pane.tab = tab;

    var placeholder = el("option", null, T.chooseHotline);
    placeholder.value = "";
    pane.transferSelect.appendChild(placeholder);
    config.hotlines.forEach(function (h) {
      var option = el("option", null, h.name);
      option.value = h.code;
      pane.transferSelect.appendChild(option);
    });
    fillCanned(pane);

    pane.riskSelect.addEventListener("change", function () {
      send({ type: "risk", conversation: id, risk: pane.riskSelect.value });
    });
    pane.caseCreate.addEventListener("click", function () {
      pane.caseCreate.disabled = true;
      var frame = { type: "case_create", conversation: id };
      if (pane.riskSelect.value) frame.risk = pane.riskSelect.value;
      send(frame);
    });
    pane.caseForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var value = pane.caseRef.value.trim();
      if (!value) return;
      var frame = { type: "case_link", conversation: id };
      if (/^\d+$/.test(value)) frame["case"] = Number(value);
      else frame.reference = value.toUpperCase();
      send(frame);
    });
    pane.transferForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var code = pane.transferSelect.value;
      if (!code || !window.confirm(T.confirmTransfer)) return;
      send({ type: "transfer", conversation: id, hotline: code });
    });
    pane.endButton.addEventListener("click", function () {
      if (pane.state !== "active") { closePane(id); return; }
      if (window.confirm(T.confirmEnd)) send({ type: "end", conversation: id });
    });
    pane.cannedSelect.addEventListener("change", function () {
      var chosen = canned.filter(function (c) { return String(c.id) === pane.cannedSelect.value; })[0];
      pane.cannedSelect.value = "";
      if (!chosen) return;
      var start = pane.input.selectionStart, end = pane.input.selectionEnd;
      var text = pane.input.value;
      pane.input.value = text.slice(0, start) + chosen.body + text.slice(end);
      pane.input.focus();
      pane.input.selectionStart = pane.input.selectionEnd = start + chosen.body.length;
    });
    pane.composer.addEventListener("submit", function (event) { event.preventDefault(); sendReply(pane); });
    pane.input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        sendReply(pane);
      }
    });
    pane.input.addEventListener("input", function () {
      var now = Date.now();
      if (now - pane.lastTyping > 3000 && pane.input.value) {
        pane.lastTyping = now;
        send({ type: "typing", conversation: id });
      }
    });

    els.tabs.appendChild(tab);
    els.panes.appendChild(node);
    panes.set(id, pane);
    return pane;
  }

  function fillCanned(pane) {
    var select = pane.cannedSelect;
    while (select.options.length > 1) select.remove(1);
    canned.forEach(function (c) {
      var option = el("option", null, c.title);
      option.value = String(c.id);
      select.appendChild(option);
    });
  }

  function select(id, focus) {
    selected = id;
    panes.forEach(function (pane, key) {
      var on = key === id;
      pane.node.hidden = !on;
      pane.tab.setAttribute("aria-selected", on ? "true" : "false");
      pane.tab.tabIndex = on ? 0 : -1;
      if (on) {
        pane.badge.hidden = true;
        pane.badge.textContent = "";
        pane.log.scrollTop = pane.log.scrollHeight;
      }
    });
    els.noChats.hidden = panes.size > 0;
    if (focus && panes.get(id)) panes.get(id).input.focus();
  }

  function onTabKey(event) {
    var tabs = Array.prototype.slice.call(els.tabs.querySelectorAll('[role="tab"]'));
    var index = tabs.indexOf(event.currentTarget);
    var next = null;
    if (event.key === "ArrowRight") next = tabs[(index + 1) % tabs.length];
    else if (event.key === "ArrowLeft") next = tabs[(index - 1 + tabs.length) % tabs.length];
    else if (event.key === "Home") next = tabs[0];
    else if (event.key === "End") next = tabs[tabs.length - 1];
    if (!next) return;
    event.preventDefault();
    next.focus();
    next.click();
  }

  function closePane(id) {
    var pane = panes.get(id);
    if (!pane) return;
    pane.tab.remove();
    pane.node.remove();
    panes.delete(id);
    var first = panes.keys().next();
    if (selected === id) select(first.done ? null : first.value, false);
    els.noChats.hidden = panes.size > 0;
  }

  function applyInfo(pane, info) {
    Object.keys(info).forEach(function (key) { if (info[key] !== undefined) pane.info[key] = info[key]; });
    if (info.risk !== undefined && document.activeElement !== pane.riskSelect) pane.riskSelect.value = info.risk || "";
    pane.tab.classList.toggle("risk-high", info.risk === "high" || info.risk === "imminent");
    if (info.case_url) showCase(pane, { url: info.case_url, reference: info.case_reference || String(info["case"]) });
    if (info.youth_connected !== undefined) setYouth(pane, info.youth_connected);
    if (info.state) setState(pane, info.state, info.reason);
  }

  function showCase(pane, linked) {
    pane.caseLink.href = linked.url;
    pane.caseLink.textContent = fmt(T.openCase, { ref: linked.reference });
    pane.caseLink.hidden = false;
    pane.caseCreate.hidden = true;
    pane.caseForm.hidden = true;
  }

  function setYouth(pane, connected) {
    pane.youthStatus.textContent = T.youth + ": " + (connected ? T.youthOnline : T.youthOffline);
    pane.youthStatus.className = "youth-status " + (connected ? "online" : "offline");
  }

  function setState(pane, value, reason) {
    pane.state = value;
    var closed = value !== "active";
    pane.input.disabled = closed;
    pane.composer.querySelector(".send").disabled = closed;
    pane.transferForm.hidden = closed;
    pane.endButton.textContent = closed ? T.closeTab : pane.endButton.dataset.label;
    pane.endButton.classList.toggle("danger", !closed);
    if (!closed) { pane.endedBanner.hidden = true; return; }
    var text = T.ended;
    if (value === "abandoned") text = T.abandoned;
    else if (reason === "transferred" || value === "queued") text = fmt(T.transferred, { h: pane.transferredTo || "" });
    else if (T.endedBy[reason]) text = T.endedBy[reason];
    pane.endedBanner.textContent = text;
    pane.endedBanner.hidden = false;
    if (reason === "quick_exit") showQuickExit(pane);
    hideTyping(pane);
    updateLoad();
  }

  function showQuickExit(pane) {
    if (!pane.quickExit.hidden) return;
    pane.quickExit.hidden = false;
    pane.tab.classList.add("quick-exit");
    toast(fmt(T.quickExitToast, { who: describe(pane.info) }), "urgent");
  }

  /* ---- messages ---- */
  function bubble(sender, body, at, mine) {
    var li = el("li", "msg " + (sender === "youth" ? "them" : sender === "system" ? "system" : "me"));
    var who = sender === "youth" ? T.youth : sender === "system" ? T.system : (mine ? T.you : T.operator);
    var head = el("span", "meta");
    head.appendChild(el("span", "who", who));
    head.appendChild(document.createTextNode(" · "));
    head.appendChild(el("time", "at", timeLabel(at)));
    li.appendChild(head);
    li.appendChild(el("p", "body", body));
    return li;
  }

  function setNote(li, text) {
    var at = li.querySelector(".at");
    if (at) at.textContent = text;
  }

  function place(pane, li, seq) {
    li.dataset.seq = String(seq);
    var items = pane.log.children;
    for (var i = 0; i < items.length; i++) {
      if (!items[i].dataset.seq || Number(items[i].dataset.seq) > seq) {
        pane.log.insertBefore(li, items[i]);
        return;
      }
    }
    pane.log.appendChild(li);
  }

  function nearBottom(log) { return log.scrollHeight - log.scrollTop - log.clientHeight < 80; }

  function addMessage(pane, message) {
    var seq = Number(message.seq);
    if (!seq || pane.seen[seq]) return;
    var follow = nearBottom(pane.log);
    var li = bubble(message.sender, message.body, message.at, false);
    place(pane, li, seq);
    pane.seen[seq] = true;
    while (pane.seen[pane.contiguous + 1]) pane.contiguous += 1;
    if (message.sender === "youth") {
      hideTyping(pane);
      if (selected !== pane.id || document.hidden) {
        pane.badge.textContent = T.unread;
        pane.badge.hidden = selected === pane.id;
      }
    }
    if (follow || selected !== pane.id) pane.log.scrollTop = pane.log.scrollHeight;
  }

  function onAck(frame) {
    var pane = panes.get(frame.conversation);
    if (!pane) return;
    pane.outbox = pane.outbox.filter(function (item) { return item.client_id !== frame.client_id; });
    var li = pane.log.querySelector('li[data-client-id="' + frame.client_id + '"]');
    if (!li) return;
    var seq = Number(frame.seq);
    if (pane.seen[seq]) { li.remove(); return; }
    li.classList.remove("pending");
    delete li.dataset.clientId;
    setNote(li, timeLabel(frame.at));
    place(pane, li, seq);
    pane.seen[seq] = true;
    while (pane.seen[pane.contiguous + 1]) pane.contiguous += 1;
  }

  function sendReply(pane) {
    var body = pane.input.value.replace(/\s+$/, "");
    if (!body.trim() || pane.state !== "active") return;
    var item = { client_id: uuid4(), body: body };
    pane.outbox.push(item);
    pane.input.value = "";
    pane.lastTyping = 0;
    var li = bubble("operator", body, null, true);
    li.classList.add("pending");
    li.dataset.clientId = item.client_id;
    setNote(li, isOpen() ? T.sending : T.waitingNet);
    pane.log.appendChild(li);
    pane.log.scrollTop = pane.log.scrollHeight;
    send({ type: "message", conversation: pane.id, client_id: item.client_id, body: body });
  }

  function showTyping(pane) {
    pane.typing.hidden = false;
    clearTimeout(pane.typingTimer);
    pane.typingTimer = setTimeout(function () { hideTyping(pane); }, 5000);
  }
  function hideTyping(pane) {
    clearTimeout(pane.typingTimer);
    pane.typing.hidden = true;
  }

  function updateLoad() {
    var n = 0;
    panes.forEach(function (pane) { if (pane.state === "active") n += 1; });
    els.load.textContent = fmt(T.load, { n: n, max: capacity });
  }

  function setPresence(value) {
    presence = value === "available" ? "available" : "away";
    els.presence.textContent = presence === "available" ? T.available : T.away;
    els.presence.setAttribute("aria-pressed", presence === "available" ? "true" : "false");
    els.presence.className = "presence " + presence;
  }

  /* ---- socket ---- */
  function isOpen() { return socket && socket.readyState === WebSocket.OPEN; }
  function send(frame) {
    if (!isOpen()) return false;
    socket.send(JSON.stringify(frame));
    return true;
  }

  function connect() {
    clearTimeout(reconnectTimer);
    reconnectTimer = null;
    if (stopped || (socket && socket.readyState <= WebSocket.OPEN)) return;
    els.connection.textContent = T.connecting;
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/console/");
    socket = ws;
    ws.onopen = function () {
      attempts = 0;
      els.connection.textContent = T.connected;
      els.connection.className = "connection ok";
      clearInterval(heartbeat);
      heartbeat = setInterval(function () { send({ type: "ping" }); }, config.heartbeatSeconds * 1000);
      // Catch up every pane from its last contiguous seq, then resend unacked replies.
      panes.forEach(function (pane) {
        if (pane.state !== "active") return;
        send({ type: "sync", conversation: pane.id, last_seq: pane.contiguous });
        pane.outbox.forEach(function (item) {
          send({ type: "message", conversation: pane.id, client_id: item.client_id, body: item.body });
          var li = pane.log.querySelector('li[data-client-id="' + item.client_id + '"]');
          if (li) setNote(li, T.sending);
        });
      });
    };
    ws.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      handle(frame);
    };
    ws.onclose = function (event) {
      if (socket !== ws) return;
      socket = null;
      clearInterval(heartbeat);
      if (event.code === 4403) {
        stopped = true;
        els.connection.textContent = T.forbidden;
        els.connection.className = "connection bad";
        return;
      }
      els.connection.textContent = T.offline;
      els.connection.className = "connection bad";
      var base = Math.min(15000, 500 * Math.pow(2, attempts));
      if (event.code === 4429) base = Math.max(base, 5000);
      attempts += 1;
      reconnectTimer = setTimeout(connect, base / 2 + Math.random() * base / 2);
    };
  }

  function handle(frame) {
    var pane = frame.conversation ? panes.get(frame.conversation) : null;
    switch (frame.type) {
      case "hello":
        if (frame.capacity) capacity = frame.capacity;
        setPresence(frame.presence);
        updateLoad();
        break;
      case "queue":
        renderQueue(frame.items);
        break;
      case "canned":
        canned = frame.items || [];
        panes.forEach(fillCanned);
        break;
      case "accepted":
        onAccepted(frame);
        break;
      case "ack":
        onAck(frame);
        break;
      case "message":
        if (pane) addMessage(pane, frame);
        break;
      case "typing":
        if (pane) showTyping(pane);
        break;
      case "state":
        if (pane) setState(pane, frame.state, frame.reason);
        break;
      case "quick_exit":
        if (pane) showQuickExit(pane);
        break;
      case "youth":
        if (pane) setYouth(pane, frame.connected);
        break;
      case "conversation":
        if (pane) applyInfo(pane, frame);
        break;
      case "transferred":
        if (pane) {
          pane.transferredTo = hotlineName(frame.hotline);
          setState(pane, "queued", "transferred");
        }
        break;
      case "case_linked":
        if (pane) {
          showCase(pane, frame);
          pane.caseCreate.disabled = false;
          pane.caseRef.value = "";
        }
        toast(fmt(frame.created ? T.caseCreated : T.caseLinked, { ref: frame.reference }), "",
          { href: frame.url, text: frame.reference });
        break;
      case "presence":
        setPresence(frame.status);
        if (frame.capacity) capacity = frame.capacity;
        updateLoad();
        break;
      case "error":
        onError(frame, pane);
        break;
      case "escalation":
        toast(fmt(T.escalation, { ref: frame.reference, agency: frame.agency, state: frame.state })
          + (frame.detail ? " — " + frame.detail : ""), "urgent",
          frame["case"] ? { href: config.caseUrlTemplate.replace("/0/", "/" + frame["case"] + "/"), text: frame.reference } : null);
        break;
      case "pong":
        break;
      default:
        if (typeof frame.notice === "string" && frame.notice) toast(frame.notice, "urgent", frame.url ? { href: frame.url, text: frame.url } : null);
        break;
    }
  }

  function hotlineName(code) {
    var found = config.hotlines.filter(function (h) { return h.code === code; })[0];
    return found ? found.name : code;
  }

  function onAccepted(frame) {
    var pane = panes.get(frame.conversation);
    var fresh = !pane;
    if (!pane) pane = createPane(frame);
    applyInfo(pane, frame);
    (frame.messages || []).forEach(function (message) { addMessage(pane, message); });
    var queued = els.queue.querySelector('li[data-conversation="' + frame.conversation + '"]');
    if (queued) queued.remove();
    if (fresh && (selected === null || !panes.get(selected))) select(frame.conversation, false);
    if (awaitingAccept === frame.conversation) {
      awaitingAccept = null;
      select(frame.conversation, true);
    }
    els.noChats.hidden = panes.size > 0;
    updateLoad();
  }

  function onError(frame, pane) {
    var code = frame.code || "";
    if (code === "already_taken") {
      toast(T.takenToast, "");
      var li = frame.conversation && els.queue.querySelector('li[data-conversation="' + frame.conversation + '"]');
      if (li) li.remove();
      enableAccepts();
      return;
    }
    if (code === "capacity_reached") { toast(T.capacityToast, ""); enableAccepts(); return; }
    if (pane && frame.client_id) {
      var pending = pane.log.querySelector('li[data-client-id="' + frame.client_id + '"]');
      if (code === "body_empty" || code === "body_too_long" || code === "conversation_closed" || code === "not_allowed" || code === "voice_channel") {
        pane.outbox = pane.outbox.filter(function (item) { return item.client_id !== frame.client_id; });
        if (pending) {
          pending.classList.add("failed");
          setNote(pending, fmt(T.failed, { detail: frame.detail || code }));
        }
      }
      return;
    }
    if (pane) pane.caseCreate.disabled = false;
    enableAccepts();
    toast(fmt(T.error, { detail: frame.detail || code }), "");
  }

  function enableAccepts() {
    awaitingAccept = null;
    var buttons = els.queue.querySelectorAll(".accept");
    for (var i = 0; i < buttons.length; i++) buttons[i].disabled = false;
  }

  els.presence.addEventListener("click", function () {
    send({ type: "presence", status: presence === "available" ? "away" : "available" });
  });
  window.addEventListener("online", function () { if (!socket && !stopped) connect(); });
  setInterval(tickWaits, 1000);
  setPresence("away");
  els.presence.textContent = T.connecting;
  updateLoad();
  connect();
})();
