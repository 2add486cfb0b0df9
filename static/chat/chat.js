/* Youth chat. Plain ES2017, no dependencies.
 *
 * Guarantees the page keeps:
 * - the resume token lives in sessionStorage only (never a URL, never localStorage);
 * - a message typed offline waits in an outbox and is re-sent with the same client_id
 *   until the server acks it, so the server's dedupe makes it appear once;
 * - messages are rendered once each, ordered by seq, always through textContent;
 * - quick exit wipes storage and the page, then replaces the history entry;
 * - the page sets no cookie: the language chosen here lives in sessionStorage too, and
 *   reaches the server inside the start and resume frames.
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("chat-config").textContent);
  // The page's own texts in both languages (helpline.pages.CHAT_TEXT), keyed like its data-text.
  var PAGE_TEXT = JSON.parse(document.getElementById("chat-text").textContent);
  var LANG_KEY = "helpline.chat.language";
  var pageLang = (document.documentElement.lang || "vi").slice(0, 2) === "en" ? "en" : "vi";
  var lang = storedLanguage() || pageLang;
  var STRINGS = {
    vi: {
      connecting: "Đang kết nối…",
      offline: "Mất kết nối. Đang thử kết nối lại… Tin nhắn của bạn sẽ được gửi khi có mạng.",
      queueFirst: "Bạn là người tiếp theo. Một tư vấn viên sẽ trả lời ngay.",
      queuePosition: "Bạn đang ở vị trí số {n} trong hàng chờ.",
      queueHint: "Hãy giữ trang này mở. Bạn có thể viết trước điều bạn muốn nói.",
      waiting: "Đang chờ tư vấn viên…",
      active: "Tư vấn viên đang trò chuyện với bạn.",
      joined: "Một tư vấn viên đã tham gia cuộc trò chuyện.",
      transferred: "Bạn đang được chuyển tới một tổng đài khác. Vui lòng chờ, tin nhắn vẫn được giữ.",
      ended: "Cuộc trò chuyện đã kết thúc.",
      you: "Bạn",
      operator: "Tư vấn viên",
      system: "Hệ thống",
      sending: "đang gửi…",
      sent: "đã gửi",
      queuedOffline: "chờ có mạng",
      tooFast: "Bạn gửi hơi nhanh. Chờ một chút rồi thử lại nhé.",
      tooLong: "Tin nhắn quá dài. Hãy chia thành nhiều tin ngắn hơn.",
      lost: "Không tìm thấy cuộc trò chuyện trước (có thể đã hết hạn). Bạn có thể bắt đầu cuộc mới.",
      tooMany: "Có quá nhiều cuộc trò chuyện đang mở từ mạng này. Hãy kết thúc một cuộc rồi thử lại.",
      failed: "Có lỗi xảy ra: {detail}",
    },
    en: {
      connecting: "Connecting…",
      offline: "Connection lost. Trying to reconnect… Your messages will be sent when you are back online.",
      queueFirst: "You are next. A counsellor will answer very soon.",
      queuePosition: "You are number {n} in the queue.",
      queueHint: "Please keep this page open. You can start writing what you want to say.",
      waiting: "Waiting for a counsellor…",
      active: "A counsellor is talking with you.",
      joined: "A counsellor has joined the conversation.",
      transferred: "You are being transferred to another hotline. Please wait; your messages are kept.",
      ended: "The conversation has ended.",
      you: "You",
      operator: "Counsellor",
      system: "System",
      sending: "sending…",
      sent: "sent",
      queuedOffline: "waiting for network",
      tooFast: "You are sending a bit fast. Wait a moment and try again.",
      tooLong: "The message is too long. Please split it into shorter ones.",
      lost: "The earlier conversation could not be found (it may have expired). You can start a new one.",
      tooMany: "Too many conversations are open from this network. End one and try again.",
      failed: "Something went wrong: {detail}",
    },
  };
  var T = STRINGS[lang];
  var STORE_KEY = "helpline.chat";
  var PING_MS = 20000;

  function storedLanguage() {
    var chosen = null;
    try { chosen = sessionStorage.getItem(LANG_KEY); } catch (e) { /* private mode */ }
    return chosen === "en" || chosen === "vi" ? chosen : null;
  }

  function $(id) { return document.getElementById(id); }
  var els = {
    welcome: $("welcome"), welcomeError: $("welcome-error"), startForm: $("start-form"),
    province: $("province"), ageGroup: $("age-group"), start: $("start"),
    chat: $("chat"), status: $("status"), log: $("log"), typing: $("typing"),
    composer: $("composer"), input: $("composer-input"),
    end: $("end"), endConfirm: $("end-confirm"), endYes: $("end-yes"), endNo: $("end-no"),
    ended: $("ended"), endedTitle: $("ended-title"), restart: $("restart"),
    quickExit: $("quick-exit"), langSwitch: $("lang-switch"),
  };

  /* ---- session state (sessionStorage only) ---- */
  function load() {
    try { return JSON.parse(sessionStorage.getItem(STORE_KEY)) || null; } catch (e) { return null; }
  }
  function save() {
    if (!state) return;
    try { sessionStorage.setItem(STORE_KEY, JSON.stringify(state)); } catch (e) { /* private mode: keep in memory */ }
  }
  function forget() {
    state = null;
    try { sessionStorage.removeItem(STORE_KEY); } catch (e) { /* nothing stored */ }
  }

  function uuid4() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function fmt(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_, key) { return String(values[key]); });
  }

  // state: {token, conversation, start: {...} | null, outbox: [{client_id, body}], phase}
  var state = load();
  var socket = null;
  var ready = false;          // the server has answered start/resume on this socket
  var attempts = 0;
  var reconnectTimer = null;
  var gapTimer = null;
  var pingTimer = null;
  var typingTimer = null;
  var lastTypingSent = 0;
  var seen = {};              // seq -> element
  var contiguous = 0;         // every seq up to here is on screen
  var finished = false;

  /* ---- rendering ---- */
  function timeLabel(iso) {
    var d = iso ? new Date(iso) : new Date();
    if (isNaN(d.getTime())) d = new Date();
    return d.toLocaleTimeString(lang === "en" ? "en-GB" : "vi-VN", { hour: "2-digit", minute: "2-digit" });
  }

  function bubble(sender, body, at) {
    var li = document.createElement("li");
    li.className = "msg " + (sender === "youth" ? "me" : sender === "system" ? "system" : "them");
    var who = document.createElement("span");
    who.className = "visually-hidden";
    who.textContent = (sender === "youth" ? T.you : sender === "system" ? T.system : T.operator) + ": ";
    var p = document.createElement("p");
    p.className = "body";
    p.textContent = body;
    li.appendChild(who);
    li.appendChild(p);
    if (sender !== "system") {
      var meta = document.createElement("span");
      meta.className = "meta";
      meta.setAttribute("aria-hidden", "true");
      meta.textContent = timeLabel(at);
      li.appendChild(meta);
    }
    return li;
  }

  function setMeta(li, text) {
    var meta = li.querySelector(".meta");
    if (meta) meta.textContent = text;
  }

  // Keep confirmed messages in seq order; pending ones stay at the end.
  function placeBySeq(li, seq) {
    li.dataset.seq = String(seq);
    var items = els.log.children;
    for (var i = 0; i < items.length; i++) {
      var other = items[i];
      if (!other.dataset.seq || Number(other.dataset.seq) > seq) {
        els.log.insertBefore(li, other);
        return;
      }
    }
    els.log.appendChild(li);
  }

  function scrollDown() { els.log.scrollTop = els.log.scrollHeight; }

  // A notice sits after the newest message on screen, not after messages still pending.
  function note(text) {
    var li = bubble("system", text);
    var newest = Object.keys(seen).reduce(function (a, b) { return Math.max(a, Number(b)); }, 0);
    placeBySeq(li, newest + 0.5);
    scrollDown();
  }

  function markSeen(seq, li) {
    seen[seq] = li;
    while (seen[contiguous + 1]) contiguous += 1;
    clearTimeout(gapTimer);
    // A hole in seq usually fills itself within a moment (an ack can overtake a
    // broadcast); if it does not, resume from the last contiguous seq.
    if (Object.keys(seen).length > contiguous) {
      gapTimer = setTimeout(function () {
        if (Object.keys(seen).length > contiguous && ready) send({ type: "sync" });
      }, 3000);
    }
  }

  function pendingElement(clientId) {
    return els.log.querySelector('li[data-client-id="' + clientId + '"]');
  }

  function showPending(item) {
    var li = bubble("youth", item.body);
    li.classList.add("pending");
    li.dataset.clientId = item.client_id;
    setMeta(li, ready ? T.sending : T.queuedOffline);
    els.log.appendChild(li);
    scrollDown();
  }

  function onMessage(frame) {
    var seq = Number(frame.seq);
    if (!seq || seen[seq]) return;
    var li = null;
    if (frame.sender === "youth" && frame.client_id) {
      li = pendingElement(frame.client_id);
      dropFromOutbox(frame.client_id);
    }
    if (li) {
      li.classList.remove("pending");
      delete li.dataset.clientId;
      setMeta(li, timeLabel(frame.at));
    } else {
      li = bubble(frame.sender, frame.body, frame.at);
    }
    placeBySeq(li, seq);
    markSeen(seq, li);
    if (frame.sender === "operator") hideTyping();
    scrollDown();
  }

  function onAck(frame) {
    var seq = Number(frame.seq);
    var li = pendingElement(frame.client_id);
    dropFromOutbox(frame.client_id);
    if (!li) return;
    if (seen[seq]) {
      // The replay already showed this message; the ack only confirms it.
      li.remove();
      return;
    }
    li.classList.remove("pending");
    delete li.dataset.clientId;
    setMeta(li, timeLabel(frame.at) + " · " + T.sent);
    placeBySeq(li, seq);
    markSeen(seq, li);
  }

  function dropFromOutbox(clientId) {
    if (!state) return;
    var before = state.outbox.length;
    state.outbox = state.outbox.filter(function (item) { return item.client_id !== clientId; });
    if (state.outbox.length !== before) save();
  }

  function setStatus(text, kind, extra) {
    els.status.className = "status" + (kind ? " " + kind : "");
    els.status.textContent = "";
    var main = document.createElement("span");
    main.textContent = text;
    if (kind === "waiting") main.className = "position";
    els.status.appendChild(main);
    if (extra) {
      var hint = document.createElement("div");
      hint.textContent = extra;
      els.status.appendChild(hint);
    }
  }

  function showTyping() {
    els.typing.hidden = false;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(hideTyping, 5000);
  }
  function hideTyping() {
    clearTimeout(typingTimer);
    els.typing.hidden = true;
  }

  function show(view) {
    els.welcome.hidden = view !== "welcome";
    els.chat.hidden = view !== "chat" && view !== "ended";
    els.ended.hidden = view !== "ended";
    els.composer.hidden = view === "ended";
    els.end.parentNode.hidden = view === "ended";
  }

  /* ---- socket ---- */
  function socketUrl() {
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/chat/";
  }

  function send(frame) {
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(frame));
    return true;
  }

  function connect() {
    clearTimeout(reconnectTimer);
    reconnectTimer = null;
    if (finished || !state) return;
    if (socket && socket.readyState <= WebSocket.OPEN) return;
    ready = false;
    var ws = new WebSocket(socketUrl());
    socket = ws;
    ws.onopen = function () {
      // Mobile networks drop idle sockets; a small ping keeps this one alive.
      clearInterval(pingTimer);
      pingTimer = setInterval(function () { if (socket === ws) send({ type: "ping" }); }, PING_MS);
      // Both frames say the page's language: it may have changed since the chat started.
      if (state.token) {
        send({ type: "resume", token: state.token, last_seq: contiguous, language: lang });
      } else {
        send(Object.assign({ type: "start" }, state.start, { language: lang }));
      }
    };
    ws.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      handle(frame);
    };
    ws.onclose = function (event) {
      if (socket !== ws) return;
      clearInterval(pingTimer);
      socket = null;
      ready = false;
      if (finished || !state) return;
      if (event.code === 4429) note(T.tooFast);
      markOutboxOffline();
      setStatus(T.offline, "offline");
      scheduleReconnect();
    };
  }

  function scheduleReconnect() {
    if (reconnectTimer) return;
    var base = Math.min(15000, 500 * Math.pow(2, attempts));
    attempts += 1;
    reconnectTimer = setTimeout(connect, base / 2 + Math.random() * base / 2);
  }

  function markOutboxOffline() {
    if (!state) return;
    state.outbox.forEach(function (item) {
      var li = pendingElement(item.client_id);
      if (li) setMeta(li, T.queuedOffline);
    });
  }

  function flushOutbox() {
    state.outbox.forEach(function (item) {
      if (send({ type: "message", client_id: item.client_id, body: item.body })) {
        var li = pendingElement(item.client_id);
        if (li) setMeta(li, T.sending);
      }
    });
  }

  function handle(frame) {
    switch (frame.type) {
      case "started":
        state.token = frame.token;
        state.conversation = frame.conversation;
        state.start = null;
        save();
        onReady(frame.state);
        break;
      case "resumed":
        onReady(frame.state);
        break;
      case "ack":
        onAck(frame);
        break;
      case "message":
        onMessage(frame);
        break;
      case "queue":
        if (frame.position === 1) setStatus(T.queueFirst, "waiting", T.queueHint);
        else if (frame.position) setStatus(fmt(T.queuePosition, { n: frame.position }), "waiting", T.queueHint);
        break;
      case "state":
        onState(frame.state);
        break;
      case "typing":
        showTyping();
        break;
      case "error":
        onError(frame);
        break;
      default:
        break;
    }
  }

  function onReady(conversationState) {
    ready = true;
    attempts = 0;
    onState(conversationState, true);
    if (!finished) flushOutbox();
  }

  function onState(value, quiet) {
    if (value === "queued") {
      if (state && state.phase === "active") setStatus(T.transferred, "waiting");
      else if (!els.status.classList.contains("waiting")) setStatus(T.waiting, "waiting", T.queueHint);
    } else if (value === "active") {
      if (!quiet && state && state.phase !== "active") note(T.joined);
      setStatus(T.active, "");
    } else if (value === "transferred") {
      setStatus(T.transferred, "waiting");
    } else if (value === "ended" || value === "abandoned") {
      finish();
      return;
    }
    if (state) {
      state.phase = value;
      save();
    }
  }

  function onError(frame) {
    var code = frame.code || "";
    if ((code === "invalid_token" || code === "token_expired") && state && state.token) {
      finished = true;
      forget();
      if (socket) socket.close(1000);
      resetLog();
      show("welcome");
      showWelcomeError(T.lost);
      return;
    }
    if (code === "too_many_chats") {
      finished = true;
      forget();
      if (socket) socket.close(1000);
      resetLog();
      show("welcome");
      showWelcomeError(T.tooMany);
      return;
    }
    if (code === "conversation_closed") { finish(); return; }
    if (frame.client_id && (code === "body_too_long" || code === "body_empty")) {
      // Resending would fail the same way: give the text back to the young person.
      var li = pendingElement(frame.client_id);
      var item = state && state.outbox.filter(function (o) { return o.client_id === frame.client_id; })[0];
      dropFromOutbox(frame.client_id);
      if (li) li.remove();
      if (item && !els.input.value) els.input.value = item.body;
      note(code === "body_too_long" ? T.tooLong : fmt(T.failed, { detail: frame.detail || code }));
      return;
    }
    // Anything else about one message (not_started, a race with a reconnect) leaves it
    // in the outbox; it goes again after the next start/resume.
    if (frame.client_id || code === "not_started" || code === "already_started") return;
    note(fmt(T.failed, { detail: frame.detail || code }));
  }

  function showWelcomeError(text) {
    els.welcomeError.textContent = text;
    els.welcomeError.hidden = false;
    els.welcomeError.focus();
  }

  function finish() {
    finished = true;
    hideTyping();
    forget();
    clearTimeout(reconnectTimer);
    clearInterval(pingTimer);
    if (socket) socket.close(1000);
    setStatus(T.ended, "");
    show("ended");
    els.endedTitle.focus();
  }

  function resetLog() {
    els.log.textContent = "";
    seen = {};
    contiguous = 0;
  }

  /* ---- user actions ---- */
  function startChat(event) {
    event.preventDefault();
    finished = false;
    els.welcomeError.hidden = true;
    resetLog();
    state = {
      token: null,
      conversation: null,
      phase: "starting",
      start: {
        province: els.province.value,
        age_group: els.ageGroup.value,
      },
      outbox: [],
    };
    save();
    show("chat");
    setStatus(T.connecting, "");
    connect();
    els.input.focus();
  }

  function sendMessage(event) {
    event.preventDefault();
    var body = els.input.value.replace(/\s+$/, "");
    if (!body.trim() || !state) return;
    var item = { client_id: uuid4(), body: body };
    state.outbox.push(item);
    save();
    els.input.value = "";
    lastTypingSent = 0;
    showPending(item);
    if (ready) send({ type: "message", client_id: item.client_id, body: item.body });
    else connect();
  }

  function onInput() {
    var now = Date.now();
    if (ready && now - lastTypingSent > 3000 && els.input.value) {
      lastTypingSent = now;
      send({ type: "typing" });
    }
  }

  function onComposerKey(event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) sendMessage(event);
  }

  function endChat() {
    send({ type: "end" });
    finish();
  }

  function quickExit() {
    // Best effort: the operator learns the young person left in a hurry.
    try { send({ type: "end", reason: "quick_exit" }); } catch (e) { /* leave anyway */ }
    finished = true;
    try { sessionStorage.clear(); } catch (e) { /* nothing to wipe */ }
    try { localStorage.clear(); } catch (e) { /* nothing to wipe */ }
    document.title = "";
    document.body.textContent = "";
    var ws = socket;
    var deadline = Date.now() + 300;
    (function leave() {
      // Give the end frame a moment to leave the buffer, never more than 300 ms.
      if (ws && ws.readyState === WebSocket.OPEN && ws.bufferedAmount > 0 && Date.now() < deadline) {
        setTimeout(leave, 20);
        return;
      }
      location.replace(config.quickExitUrl);
    })();
  }

  var lastEscape = 0;
  function onKey(event) {
    if (event.key !== "Escape") return;
    var now = Date.now();
    if (now - lastEscape < 1500) quickExit();
    lastEscape = now;
  }

  /* ---- language: chosen here, kept in this tab, never in a cookie ---- */
  function applyPageLanguage() {
    var text = PAGE_TEXT[lang];
    function each(selector, apply) {
      Array.prototype.forEach.call(document.querySelectorAll(selector), apply);
    }
    document.documentElement.lang = lang;
    document.title = text.title;
    each("[data-text]", function (el) { el.textContent = text[el.dataset.text]; });
    each("[data-text-placeholder]", function (el) { el.placeholder = text[el.dataset.textPlaceholder]; });
    each("[data-text-aria-label]", function (el) {
      el.setAttribute("aria-label", text[el.dataset.textAriaLabel]);
    });
    // The switch names the other language in that language.
    var other = lang === "en" ? "vi" : "en";
    els.langSwitch.lang = other;
    els.langSwitch.textContent = other === "en" ? "English" : "Tiếng Việt";
  }

  function switchLanguage() {
    lang = lang === "en" ? "vi" : "en";
    T = STRINGS[lang];
    var kept = false;
    try { sessionStorage.setItem(LANG_KEY, lang); kept = true; } catch (e) { /* private mode */ }
    // A chat on screen holds text of the old language (status, notes, labels): reload it
    // in place; the resume then tells the server the new language too. replace() adds no
    // history entry, so Back after quick exit can never land on an earlier copy.
    if (kept && els.welcome.hidden) {
      location.replace(location.pathname);
      return;
    }
    applyPageLanguage();
  }

  els.startForm.addEventListener("submit", startChat);
  els.composer.addEventListener("submit", sendMessage);
  els.input.addEventListener("input", onInput);
  els.input.addEventListener("keydown", onComposerKey);
  els.end.addEventListener("click", function () {
    els.end.hidden = true;
    els.endConfirm.hidden = false;
    els.endNo.focus();
  });
  els.endNo.addEventListener("click", function () {
    els.endConfirm.hidden = true;
    els.end.hidden = false;
    els.end.focus();
  });
  els.endYes.addEventListener("click", endChat);
  els.restart.addEventListener("click", function () {
    resetLog();
    show("welcome");
    els.province.focus();
  });
  els.quickExit.addEventListener("click", quickExit);
  document.addEventListener("keydown", onKey);
  els.langSwitch.addEventListener("click", switchLanguage);
  window.addEventListener("online", function () { if (!socket) connect(); });

  /* ---- boot: the chosen language, then a conversation kept in this tab ---- */
  // Also labels the switch, which only this script can work, so it shows only now.
  applyPageLanguage();
  els.langSwitch.hidden = false;

  if (state && (state.token || state.start)) {
    show("chat");
    setStatus(T.connecting, "");
    state.outbox.forEach(showPending);
    connect();
  } else {
    forget();
    show("welcome");
  }
})();
