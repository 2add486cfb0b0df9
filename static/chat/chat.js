/* Youth chat: the page itself. Plain ES2017, no dependencies; texts.js, link.js, log.js and
 * callback.js come first.
 *
 * Guarantees the page keeps:
 * - it tells the truth: "someone will answer" only when the server's status says someone
 *   is online, a wait only as the server's range, and when nobody is there, a message or a
 *   callback instead of an empty promise;
 * - the resume token lives in sessionStorage only (never a URL, never localStorage), and
 *   only while the conversation is open; passphrases are never stored at all;
 * - a message typed offline waits in an outbox and is re-sent with the same client_id
 *   until the server acks it, so the server's dedupe makes it appear once;
 * - messages are rendered once each, ordered by seq, always through textContent;
 * - quick exit wipes storage and the page, then replaces the history entry;
 * - the page sets no cookie: the language chosen here lives in sessionStorage too, and
 *   reaches the server inside the start and resume frames (and the callback request).
 */
(function () {
  "use strict";

  var chat = window.helplineChat;
  var config = JSON.parse(document.getElementById("chat-config").textContent);
  // The page's own texts in both languages (helpline.pages.CHAT_TEXT), keyed like its data-text.
  var PAGE_TEXT = JSON.parse(document.getElementById("chat-text").textContent);
  var LANG_KEY = "helpline.chat.language";
  var STORE_KEY = "helpline.chat";
  var STATUS_EVERY_MS = 30000;
  var pageLang = (document.documentElement.lang || "vi").slice(0, 2) === "en" ? "en" : "vi";
  var lang = storedLanguage() || pageLang;
  var T = chat.STRINGS[lang];
  var fmt = chat.fmt;

  function storedLanguage() {
    var chosen = null;
    try { chosen = sessionStorage.getItem(LANG_KEY); } catch (e) { /* private mode */ }
    return chosen === "en" || chosen === "vi" ? chosen : null;
  }

  function $(id) { return document.getElementById(id); }
  var els = {
    offline: $("offline"),
    welcome: $("welcome"), welcomeTitle: $("welcome-title"), welcomeError: $("welcome-error"),
    availability: $("availability"), startForm: $("start-form"), province: $("province"),
    ageGroup: $("age-group"), start: $("start"), dangerStart: $("danger-start"),
    offers: $("offers"), leaveMessage: $("leave-message"), openCallback: $("open-callback"),
    comebackToggle: $("comeback-toggle"), comebackForm: $("comeback-form"),
    comebackInput: $("comeback-passphrase"), comebackError: $("comeback-error"),
    comebackReturning: $("comeback-returning"),
    callback: $("callback"), callbackTitle: $("callback-title"), callbackBack: $("callback-back"),
    chat: $("chat"), status: $("status"), waitInfo: $("wait-info"), transferNote: $("transfer-note"),
    dangerBox: $("danger-box"), leavePanel: $("leave-panel"), leaveKeep: $("leave-keep"),
    leaveHours: $("leave-hours"), chatTools: $("chat-tools"), dangerChat: $("danger-chat"),
    waitCallback: $("wait-callback"), log: $("log"), typing: $("typing"),
    composer: $("composer"), input: $("composer-input"),
    end: $("end"), done: $("done"), endConfirm: $("end-confirm"), endYes: $("end-yes"), endNo: $("end-no"),
    ended: $("ended"), endedTitle: $("ended-title"), survey: $("survey"), afterKeep: $("after-keep"),
    clear: $("clear"), restart: $("restart"),
    quickExit: $("quick-exit"), langSwitch: $("lang-switch"),
    screenshotOpen: $("screenshot-open"), screenshotPanel: $("screenshot-panel"),
  };
  els.endRow = els.end.parentNode;

  /* ---- session state: sessionStorage while a conversation is open, then memory only ---- */
  // state: {token, conversation, province (null: unknown), mode: "chat"|"message", danger, dangerNoted,
  //         transferred, passphraseSaved, phase, start: {...}|null, outbox: [{client_id, body}]}
  // Once the conversation has ended it stays in memory only: the survey and the passphrase
  // still need the token, and nothing of it should outlive the page.
  function load() {
    try { return JSON.parse(sessionStorage.getItem(STORE_KEY)) || null; } catch (e) { return null; }
  }
  function save() {
    if (!state || state.phase === "ended") return;
    try { sessionStorage.setItem(STORE_KEY, JSON.stringify(state)); } catch (e) { /* private mode: keep in memory */ }
  }
  function unstore() {
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

  var state = load();
  var view = "welcome";
  var callbackFrom = "welcome";
  var ready = false;          // the server has answered start/resume on this socket
  var bound = false;          // this socket carries a conversation (a new one needs a new socket)
  var offline = false;
  var afterReady = [];        // frames waiting for the conversation to be back on the socket
  var passphraseAsks = [];    // what each passphrase answer still to come is about, in order
  var pendingResume = null;   // a passphrase typed on the welcome screen, until sent
  var returningPassphrase = null; // "I have chatted before": sent right after started
  var lastStatus = null;
  var lastStatusProvince = "";
  var statusAsked = 0;        // status questions not answered yet on this socket
  var lastPosition = null;
  var typingTimer = null;
  var lastTypingSent = 0;

  var link = new chat.Link(
    (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/chat/",
    { open: onLinkOpen, frame: handle, down: onLinkDown }
  );
  function send(frame) { return link.send(frame); }

  var log = new chat.ChatLog(els.log, {
    texts: function () { return T; },
    language: function () { return lang; },
    gap: function () { if (ready) send({ type: "sync" }); },
  });

  // Frames about the conversation go once it is on the socket again.
  function sendWhenReady(frame) {
    if (ready && send(frame)) return;
    afterReady.push(frame);
    link.retryNow();
  }

  /* ---- the outbox: what the young person typed, until the server has it ---- */
  function note(text) { log.note(text); }

  function dropFromOutbox(clientId) {
    if (!state) return;
    var before = state.outbox.length;
    state.outbox = state.outbox.filter(function (item) { return item.client_id !== clientId; });
    if (state.outbox.length !== before) save();
  }

  function markOutboxUnsent() {
    if (!state) return;
    state.outbox.forEach(function (item) { log.setSending(item.client_id, true); });
  }

  // Again with the same client_id, so that the server's dedupe shows each message once.
  function flushOutbox() {
    state.outbox.forEach(function (item) {
      if (send({ type: "message", client_id: item.client_id, body: item.body })) {
        log.setSending(item.client_id, false);
      }
    });
  }

  function onMessage(frame) {
    if (frame.sender === "youth" && frame.client_id) dropFromOutbox(frame.client_id);
    if (log.message(frame) && frame.sender === "operator") hideTyping();
  }

  function onAck(frame) {
    dropFromOutbox(frame.client_id);
    log.ack(frame);
  }

  /* ---- status line, availability, offers ---- */
  // Rewritten only when the words change, so that a screen reader hears each change once.
  function setStatus(text, kind, extra) {
    var key = [text, kind, extra].join("|");
    if (els.status.dataset.shown === key) return;
    els.status.dataset.shown = key;
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

  function renderQueue() {
    if (!state || state.phase !== "queued") return;
    if (state.mode === "message") {
      setStatus(T.messageWaiting, "waiting");
    } else if (lastPosition === 1) {
      // "Someone will answer" only while the server says someone is there.
      var first = lastStatus && lastStatus.staffed ? T.queueFirstStaffed : T.queueFirst;
      setStatus(first, "waiting", T.queueHint);
    } else if (lastPosition) {
      setStatus(fmt(T.queuePosition, { n: lastPosition }), "waiting", T.queueHint);
    } else {
      setStatus(T.waiting, "waiting", T.queueHint);
    }
  }

  function provinceName(code) {
    if (!code) return ""; // central
    var option = els.province.querySelector('option[value="' + code + '"]');
    return option ? option.textContent : code;
  }

  function showLines(element, lines) {
    var key = lines.join("\n");
    if (element.dataset.shown === key) return;
    element.dataset.shown = key;
    chat.linkedParagraphs(element, lines);
  }

  function nobodyThere() {
    return Boolean(lastStatus) && (!lastStatus.staffed || !lastStatus.open);
  }

  function renderAvailability() {
    // A left message has its own words about the hours (renderLeaveHours).
    var queued = Boolean(state) && state.phase === "queued" && state.mode !== "message";
    if (lastStatus) {
      var lines = chat.availabilityLines(T, lastStatus, provinceName(lastStatus.province));
      showLines(els.availability, lines);
      if (queued) showLines(els.waitInfo, lines);
    } else if (offline) {
      showLines(els.availability, [T.statusUnknown]);
    }
    els.waitInfo.hidden = !(queued && lastStatus);
    els.offers.hidden = !nobodyThere();
    els.waitCallback.hidden = !(queued && lastStatus && !lastStatus.staffed);
    renderLeaveHours();
  }

  // Which hotline's status the page needs now: the one chosen on the welcome screen, or
  // the one the young person waits for. None while chatting or after the end.
  function statusProvince() {
    if (!state) return els.province.value;
    // Back by passphrase, or transferred: the page does not know the hotline, and the
    // status frame names a province. Saying nothing beats describing another hotline.
    if (state.province === null || state.transferred) return null;
    if (state.phase === "queued" || state.phase === "starting") return state.province || "";
    return null;
  }

  function requestStatus() {
    var province = statusProvince();
    if (province === null) return;
    if (send({ type: "status", province: province })) {
      statusAsked += 1;
      lastStatusProvince = province;
    }
  }

  function onStatus(frame) {
    statusAsked = Math.max(0, statusAsked - 1);
    if (statusAsked > 0) return; // a newer question is on its way: wait for its answer
    lastStatus = frame;
    lastStatus.province = lastStatusProvince;
    renderAvailability();
    renderQueue();
    if (state && state.danger) showDanger();
  }

  /* ---- offline ---- */
  function renderOffline() {
    if (!offline) {
      els.offline.textContent = "";
      return;
    }
    var text = state && state.phase !== "ended" ? T.offline : T.offlineWelcome;
    var box = els.offline.firstChild;
    if (box && box.dataset.text === text) return;
    box = document.createElement("div");
    box.className = "offline-box";
    box.dataset.text = text;
    var message = document.createElement("p");
    message.textContent = text;
    var retry = document.createElement("button");
    retry.type = "button";
    retry.className = "retry";
    retry.textContent = T.retryNow;
    retry.addEventListener("click", function () { link.retryNow(); });
    var urgent = document.createElement("p");
    chat.setLinkedText(urgent, T.urgentShort);
    box.appendChild(message);
    box.appendChild(retry);
    box.appendChild(urgent);
    els.offline.textContent = "";
    els.offline.appendChild(box);
    if (view === "chat") setStatus(T.reconnecting, "offline");
  }

  /* ---- danger ---- */
  function showDanger() {
    var told = !state.dangerNoted ? T.dangerTelling
      : lastStatus && !lastStatus.staffed ? T.dangerToldNobody : T.dangerTold;
    showLines(els.dangerBox, [T.dangerCall, told]);
  }

  // Pressing again changes nothing: the numbers are already there, the counsellor already told.
  function pressDanger() {
    if (!state || state.phase === "ended") return;
    if (state.danger) {
      var number = els.dangerBox.querySelector("a");
      if (number) number.focus();
      return;
    }
    state.danger = true;
    save();
    showDanger();
    if (ready) send({ type: "danger" });
  }

  /* ---- passphrases ---- */
  function keepForm(form) {
    return {
      form: form,
      input: form.querySelector(".keep-input"),
      result: form.querySelector(".keep-result"),
      buttons: form.querySelector(".keep-buttons"),
    };
  }
  var leaveKeep = keepForm(els.leaveKeep);
  var afterKeep = keepForm(els.afterKeep);

  function prepareKeep(keep) {
    keep.form.hidden = false;
    keep.input.readOnly = false;
    keep.buttons.hidden = false;
    keep.result.textContent = "";
    keep.input.value = chat.suggestPassphrase();
  }

  function submitKeep(keep, event) {
    event.preventDefault();
    var phrase = chat.passphraseNormal(keep.input.value);
    if (!chat.passphraseLongEnough(phrase)) {
      chat.linkedParagraphs(keep.result, [T.passphraseShort, T.urgentShort]);
      keep.input.focus();
      return;
    }
    keep.result.textContent = "";
    passphraseAsks.push({ kind: "keep", keep: keep });
    sendWhenReady({ type: "passphrase", passphrase: phrase, returning: false });
  }

  function onPassphraseSet(frame) {
    var ask = passphraseAsks.shift();
    if (frame.returning || (ask && ask.kind === "returning")) {
      returningPassphrase = null;
      note(T.returningSeen);
      return;
    }
    if (!ask || ask.kind !== "keep") return;
    ask.keep.input.readOnly = true;
    ask.keep.buttons.hidden = true;
    chat.linkedParagraphs(ask.keep.result, [T.passphraseSaved]);
    if (state) {
      state.passphraseSaved = true;
      save();
    }
    renderLeaveHours();
  }

  // A refused passphrase: the next answer about a passphrase was this one.
  function onPassphraseRefused(frame) {
    var ask = passphraseAsks.shift() || { kind: "resume" };
    var detail = frame.detail || frame.code;
    if (ask.kind === "resume") {
      pendingResume = null;
      chat.linkedParagraphs(els.comebackError, [detail, T.urgentShort]);
      els.comebackInput.focus();
    } else if (ask.kind === "returning") {
      returningPassphrase = null;
      note(frame.code === "wrong_passphrase" ? T.returningUnknown : detail);
    } else {
      chat.linkedParagraphs(ask.keep.result, [detail, T.urgentShort]);
      ask.keep.input.focus();
    }
  }

  function renderLeaveHours() {
    var leaving = Boolean(state) && state.mode === "message" && state.phase === "queued";
    els.leavePanel.hidden = !leaving;
    els.leaveHours.hidden = !(leaving && state.passphraseSaved && lastStatus);
    if (!els.leaveHours.hidden) els.leaveHours.textContent = chat.leaveHoursLine(T, lastStatus);
  }

  /* ---- frames ---- */
  function handle(frame) {
    switch (frame.type) {
      case "status": onStatus(frame); break;
      case "started": onStarted(frame); break;
      case "resumed": onResumed(frame); break;
      case "ack": onAck(frame); break;
      case "message": onMessage(frame); break;
      case "queue":
        lastPosition = frame.position || null;
        renderQueue();
        break;
      case "state": onState(frame.state, frame.reason || "", false); break;
      case "typing": showTyping(); break;
      case "danger_noted":
        if (state) {
          state.dangerNoted = true;
          save();
          showDanger();
        }
        break;
      case "passphrase_set": onPassphraseSet(frame); break;
      case "survey_thanks": onSurveyThanks(); break;
      case "delete_status": (chat.DeletionRequest.asking || deletionHere()).show(frame); break;
      case "error": onError(frame); break;
      default: break;
    }
  }

  function onStarted(frame) {
    bound = true;
    state.token = frame.token;
    state.conversation = frame.conversation;
    state.start = null;
    state.mode = frame.mode || state.mode;
    if (frame.danger) state.dangerNoted = true;
    save();
    if (returningPassphrase) {
      passphraseAsks.push({ kind: "returning" });
      send({ type: "passphrase", passphrase: returningPassphrase, returning: true });
    }
    onReady(frame.state, true);
  }

  function onResumed(frame) {
    bound = true;
    if (!state) {
      // Back by passphrase on the welcome screen: a conversation from another day.
      passphraseAsks.shift();
      pendingResume = null;
      state = newState({ province: null });
      state.passphraseSaved = true;
      els.comebackInput.value = "";
      log.reset();
      show("chat");
    }
    if (frame.token) state.token = frame.token;
    state.conversation = frame.conversation;
    state.mode = frame.mode || state.mode;
    if (frame.danger) state.danger = state.dangerNoted = true;
    save();
    onReady(frame.state, true);
  }

  function onReady(conversationState, quiet) {
    ready = true;
    onState(conversationState, "", quiet);
    if (!state || state.phase === "ended") {
      flushAfterReady();
      return;
    }
    flushOutbox();
    if (state.danger && !state.dangerNoted) send({ type: "danger" });
    if (state.danger) showDanger();
    flushAfterReady();
    requestStatus();
  }

  function flushAfterReady() {
    var frames = afterReady;
    afterReady = [];
    frames.forEach(send);
  }

  function onState(value, reason, quiet) {
    if (!state) return;
    if (value === "ended" || value === "abandoned") {
      finish();
      return;
    }
    // Ended here already (the end frame may still be on its way): nothing reopens it.
    if (state.phase === "ended") return;
    if (value === "queued") {
      // Only a transfer brings an answered chat back into a queue.
      if (reason === "transferred" || state.phase === "active") {
        state.transferred = true;
        lastPosition = null;
        lastStatus = null; // it described the hotline the chat has left (see statusProvince)
        note(T.transferred);
      }
      state.phase = "queued";
    } else if (value === "active") {
      if (!quiet && state.phase !== "active") note(T.joined);
      state.phase = "active";
      state.transferred = false;
    }
    save();
    renderChat();
  }

  // The parts of the chat view that follow the conversation's phase and mode.
  function renderChat() {
    var queued = state.phase === "queued";
    var leaving = state.mode === "message" && queued;
    els.transferNote.hidden = !(queued && state.transferred);
    els.transferNote.textContent = T.transferred;
    els.end.hidden = leaving || !els.endConfirm.hidden;
    els.done.hidden = !leaving;
    if (state.phase === "active") setStatus(T.active, "");
    else renderQueue();
    // The passphrase form shows until a passphrase is saved, and the confirmation after;
    // back by passphrase there is nothing to choose.
    if (leaving && !state.passphraseSaved && !leaveKeep.input.value) prepareKeep(leaveKeep);
    leaveKeep.form.hidden = Boolean(state.passphraseSaved) && !leaveKeep.input.readOnly;
    renderAvailability();
  }

  function onError(frame) {
    var code = frame.code || "";
    if (code === "invalid_token" || code === "token_expired") {
      if (state && state.phase === "ended") {
        state.token = null; // the survey, the passphrase and a deletion can no longer reach it
        if (chat.DeletionRequest.asking) chat.DeletionRequest.asking.show({ detail: PAGE_TEXT[lang].deleteUnavailable });
        return;
      }
      backToWelcome(T.lost);
      return;
    }
    if (code === "too_many_chats" || code === "too_many_starts") {
      backToWelcome(code === "too_many_chats" ? T.tooMany : frame.detail || T.tooMany);
      return;
    }
    if (["wrong_passphrase", "too_many_tries", "weak_passphrase", "passphrase_taken"].indexOf(code) !== -1) {
      onPassphraseRefused(frame);
      return;
    }
    if (code === "conversation_closed") { finish(); return; }
    if (frame.client_id && (code === "body_too_long" || code === "body_empty")) {
      // Resending would fail the same way: give the text back to the young person.
      var item = state && state.outbox.filter(function (o) { return o.client_id === frame.client_id; })[0];
      dropFromOutbox(frame.client_id);
      log.removePending(frame.client_id);
      if (item && !els.input.value) els.input.value = item.body;
      note(code === "body_too_long" ? T.tooLong : fmt(T.failed, { detail: frame.detail || code }));
      return;
    }
    // Anything else about one message (not_started, a race with a reconnect) leaves it
    // in the outbox; it goes again after the next start/resume.
    if (frame.client_id || code === "not_started" || code === "already_started") return;
    var text = fmt(T.failed, { detail: frame.detail || code }) + " " + T.urgentShort;
    if (view === "chat" || view === "ended") note(text);
    else chat.linkedParagraphs(els.welcomeError, [text]);
  }

  function backToWelcome(message) {
    state = null;
    unstore();
    log.reset();
    link.restart();
    show("welcome");
    chat.linkedParagraphs(els.welcomeError, [message, T.urgentShort]);
    els.welcomeError.focus();
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

  /* ---- the end, the survey, clearing ---- */
  function finish() {
    if (!state || (state.phase === "ended" && view === "ended")) return;
    hideTyping();
    state.phase = "ended";
    state.outbox = [];
    unstore();
    els.transferNote.hidden = true;
    els.waitInfo.hidden = true;
    els.leavePanel.hidden = true;
    setStatus(T.ended, "");
    prepareKeep(afterKeep);
    show("ended");
    els.endedTitle.focus();
  }

  function onSurveyThanks() {
    Array.prototype.forEach.call(els.survey.querySelectorAll("fieldset, button"), function (el) {
      el.hidden = true;
    });
    els.survey.querySelector(".survey-result").textContent = T.surveyThanks;
  }

  function submitSurvey(event) {
    event.preventDefault();
    var answers = { type: "survey" };
    var any = false;
    ["felt_heard", "got_help", "would_return"].forEach(function (name) {
      var checked = els.survey.querySelector('input[name="' + name + '"]:checked');
      if (checked) {
        answers[name] = checked.value;
        any = true;
      }
    });
    var result = els.survey.querySelector(".survey-result");
    if (!any) {
      result.textContent = T.surveyEmpty;
      return;
    }
    result.textContent = "";
    sendWhenReady(answers);
  }

  function resetSurvey() {
    els.survey.reset();
    Array.prototype.forEach.call(els.survey.querySelectorAll("fieldset, button"), function (el) {
      el.hidden = false;
    });
    els.survey.querySelector(".survey-result").textContent = "";
  }

  // Back to an empty welcome screen on a fresh socket. wipe: also everything this tab
  // kept (the language choice included), as quick exit does, but without leaving.
  function startOver(wipe) {
    link.stop();
    state = null;
    ready = bound = false;
    afterReady = [];
    passphraseAsks = [];
    returningPassphrase = pendingResume = null;
    lastPosition = null;
    if (wipe) {
      try { sessionStorage.clear(); } catch (e) { /* nothing to wipe */ }
      try { localStorage.clear(); } catch (e) { /* nothing to wipe */ }
    } else {
      unstore();
    }
    log.reset();
    resetSurvey();
    callbackForm.reset();
    [leaveKeep, afterKeep].forEach(function (keep) { keep.input.value = ""; keep.result.textContent = ""; });
    [chatDeletion, afterDeletion].forEach(function (deletion) { deletion.reset(); });
    chat.DeletionRequest.asking = null;
    els.afterKeep.hidden = false;
    els.dangerBox.textContent = "";
    els.dangerBox.dataset.shown = "";
    els.status.textContent = "";
    els.status.dataset.shown = "";
    els.input.value = "";
    els.welcomeError.textContent = "";
    show("welcome");
    link.start();
  }

  /* ---- user actions ---- */
  function newState(options) {
    return {
      token: null,
      conversation: null,
      province: options.province,
      mode: options.mode || "chat",
      danger: Boolean(options.danger),
      dangerNoted: false,
      transferred: false,
      passphraseSaved: false,
      phase: "starting",
      start: null,
      outbox: [],
    };
  }

  function startChat(options) {
    els.welcomeError.textContent = "";
    var province = els.province.value;
    state = newState({ province: province, mode: options.mode, danger: options.danger });
    state.start = { province: province, age_group: els.ageGroup.value };
    if (options.danger) state.start.danger = true;
    if (options.mode === "message") state.start.mode = "message";
    save();
    log.reset();
    lastPosition = null;
    show("chat");
    setStatus(T.connecting, "");
    if (state.danger) showDanger();
    if (state.mode === "message") prepareKeep(leaveKeep);
    renderChat();
    if (bound) link.restart();
    else if (!send(Object.assign({ type: "start" }, state.start, { language: lang }))) link.retryNow();
    if (state.danger) els.dangerBox.querySelector("a").focus();
    else if (state.mode === "message") leaveKeep.input.focus();
    else els.input.focus();
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
    log.showPending(item, !ready);
    if (ready) send({ type: "message", client_id: item.client_id, body: item.body });
    else link.retryNow();
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
    els.endConfirm.hidden = true;
    els.end.hidden = false;
    sendWhenReady({ type: "end" });
    finish();
  }

  function comeBack(event) {
    event.preventDefault();
    var phrase = chat.passphraseNormal(els.comebackInput.value);
    els.comebackError.textContent = "";
    if (!chat.passphraseLongEnough(phrase)) {
      chat.linkedParagraphs(els.comebackError, [T.passphraseShort, T.urgentShort]);
      els.comebackInput.focus();
      return;
    }
    if (bound) {
      // This socket already carried a conversation: the passphrase goes on a fresh one.
      pendingResume = phrase;
      link.restart();
      return;
    }
    pendingResume = phrase;
    if (!sendResumeByPassphrase()) link.retryNow();
  }

  function sendResumeByPassphrase() {
    if (!pendingResume) return false;
    if (!send({ type: "resume", passphrase: pendingResume, last_seq: 0, language: lang })) return false;
    passphraseAsks.push({ kind: "resume" });
    pendingResume = null;
    return true;
  }

  function startReturning() {
    var phrase = chat.passphraseNormal(els.comebackInput.value);
    els.comebackError.textContent = "";
    if (!chat.passphraseLongEnough(phrase)) {
      chat.linkedParagraphs(els.comebackError, [T.passphraseShort, T.urgentShort]);
      els.comebackInput.focus();
      return;
    }
    returningPassphrase = phrase;
    els.comebackInput.value = "";
    startChat({});
  }

  // Leave within the tap itself, never after a delay: whoever is coming must find another
  // page at once. The end frame is already the browser's to send (the operator learns the
  // young person left in a hurry; tests/browser/test_chat.py sees it arrive).
  function quickExit() {
    try { send({ type: "end", reason: "quick_exit" }); } catch (e) { /* leave anyway */ }
    // A page that embeds the chat (the widget) leaves with it: it listens for this event.
    try { document.dispatchEvent(new CustomEvent("helpline:quick-exit")); } catch (e) { /* leave anyway */ }
    state = null;
    try { sessionStorage.clear(); } catch (e) { /* nothing to wipe */ }
    try { localStorage.clear(); } catch (e) { /* nothing to wipe */ }
    document.title = "";
    document.body.textContent = "";
    location.replace(config.quickExitUrl);
  }

  var lastEscape = 0;
  function onKey(event) {
    if (event.key !== "Escape") return;
    var now = Date.now();
    if (now - lastEscape < 1500) quickExit();
    lastEscape = now;
  }

  function show(name) {
    view = name;
    els.welcome.hidden = name !== "welcome";
    els.callback.hidden = name !== "callback";
    els.chat.hidden = name !== "chat" && name !== "ended";
    els.ended.hidden = name !== "ended";
    els.chat.classList.toggle("finished", name === "ended");
    els.composer.hidden = name === "ended";
    els.endRow.hidden = name === "ended";
    els.chatTools.hidden = name === "ended";
    renderOffline();
  }

  function openCallback() {
    callbackFrom = view;
    show("callback");
    els.callbackTitle.focus();
  }

  /* ---- the socket's news ---- */
  function onLinkOpen() {
    ready = bound = false;
    offline = false;
    statusAsked = 0;
    renderOffline();
    if (state && state.token) {
      send({ type: "resume", token: state.token, last_seq: log.contiguous, language: lang });
    } else if (state && state.start) {
      send(Object.assign({ type: "start" }, state.start, { language: lang }));
    } else {
      sendResumeByPassphrase();
      requestStatus();
    }
  }

  function onLinkDown(info) {
    ready = false;
    statusAsked = 0;
    // Answers to these will never come: the young person asks again.
    passphraseAsks = [];
    if (info.code === 4429) note(T.tooFast);
    markOutboxUnsent();
    offline = true;
    renderOffline();
    if (!state) renderAvailability();
  }

  /* ---- language: chosen here, kept in this tab, never in a cookie ---- */
  function applyPageLanguage() {
    var text = PAGE_TEXT[lang];
    function each(selector, apply) {
      Array.prototype.forEach.call(document.querySelectorAll(selector), apply);
    }
    document.documentElement.lang = lang;
    document.title = text.title;
    each("[data-text]", function (el) { chat.setLinkedText(el, text[el.dataset.text]); });
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
    T = chat.STRINGS[lang];
    var kept = false;
    try { sessionStorage.setItem(LANG_KEY, lang); kept = true; } catch (e) { /* private mode */ }
    // A chat on screen holds text of the old language (status, notes, labels): reload it
    // in place; the resume then tells the server the new language too. replace() adds no
    // history entry, so Back after quick exit can never land on an earlier copy.
    if (kept && state && state.phase !== "ended") {
      location.replace(location.pathname);
      return;
    }
    applyPageLanguage();
    els.availability.dataset.shown = "";
    renderAvailability();
    els.offline.textContent = "";
    renderOffline();
  }

  var callbackForm = chat.callbackForm({
    url: config.callbackUrl,
    texts: function () { return T; },
    language: function () { return lang; },
    province: function () { return state ? state.province || "" : els.province.value; },
    ageGroup: function () { return els.ageGroup.value; },
  });

  els.startForm.addEventListener("submit", function (event) {
    event.preventDefault();
    startChat({});
  });
  els.dangerStart.addEventListener("click", function () { startChat({ danger: true }); });
  els.leaveMessage.addEventListener("click", function () { startChat({ mode: "message" }); });
  els.province.addEventListener("change", requestStatus);
  els.openCallback.addEventListener("click", openCallback);
  els.waitCallback.addEventListener("click", openCallback);
  els.callbackBack.addEventListener("click", function () {
    show(callbackFrom);
    (callbackFrom === "welcome" ? els.openCallback : els.waitCallback).focus();
  });
  els.comebackToggle.addEventListener("click", function () {
    var open = els.comebackForm.hidden;
    els.comebackForm.hidden = !open;
    els.comebackToggle.setAttribute("aria-expanded", String(open));
    if (open) els.comebackInput.focus();
  });
  els.comebackForm.addEventListener("submit", comeBack);
  els.comebackReturning.addEventListener("click", startReturning);
  els.composer.addEventListener("submit", sendMessage);
  els.input.addEventListener("input", onInput);
  els.input.addEventListener("keydown", onComposerKey);
  els.dangerChat.addEventListener("click", pressDanger);
  var deletionOptions = {
    request: function () {
      if (!state || !state.token) return false;
      sendWhenReady({ type: "delete_request" });
      return true;
    },
    text: function (key) { return PAGE_TEXT[lang][key]; },
    // Deleted: the token opens nothing any more, and a passphrase would lead to nothing.
    done: function () {
      if (state) state.token = null;
      els.afterKeep.hidden = true;
    },
  };
  var chatDeletion = new chat.DeletionRequest($("chat-delete"), deletionOptions);
  var afterDeletion = new chat.DeletionRequest($("after-delete"), deletionOptions);
  function deletionHere() { return view === "ended" ? afterDeletion : chatDeletion; }
  new chat.Screenshot({
    open: els.screenshotOpen, panel: els.screenshotPanel, file: $("screenshot-file"),
    choose: $("screenshot-choose"), cancel: $("screenshot-cancel"), result: $("screenshot-result"),
  }, {
    token: function () { return state && state.token; },
    language: function () { return lang; },
    text: function (key) { return PAGE_TEXT[lang][key]; },
    onAck: function (frame) {
      log.showPending({ client_id: frame.client_id, body: PAGE_TEXT[lang].screenshot }, false);
      onAck(frame);
    },
  });
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
  // A left message waits without the page: done only clears this screen.
  els.done.addEventListener("click", function () {
    startOver(true);
    els.welcomeTitle.focus();
  });
  [leaveKeep, afterKeep].forEach(function (keep) {
    keep.form.addEventListener("submit", function (event) { submitKeep(keep, event); });
    keep.form.querySelector(".keep-other").addEventListener("click", function () {
      keep.input.value = chat.suggestPassphrase();
      keep.input.focus();
    });
  });
  els.survey.addEventListener("submit", submitSurvey);
  els.clear.addEventListener("click", function () {
    startOver(true);
    els.welcomeTitle.focus();
  });
  els.restart.addEventListener("click", function () {
    startOver(false);
    els.province.focus();
  });
  els.quickExit.addEventListener("click", quickExit);
  document.addEventListener("keydown", onKey);
  els.langSwitch.addEventListener("click", switchLanguage);
  // The browser's hints that the network or the page is back: check the socket at once.
  window.addEventListener("online", function () { link.check(); });
  window.addEventListener("focus", function () { link.check(); });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") link.check();
  });
  setInterval(function () {
    if (link.isOpen) requestStatus();
  }, STATUS_EVERY_MS);

  /* ---- boot: the chosen language, then a conversation kept in this tab ---- */
  // Also labels the switch, which only this script can work, so it shows only now.
  applyPageLanguage();
  els.langSwitch.hidden = false;

  if (state && (state.token || state.start)) {
    show("chat");
    state.outbox.forEach(function (item) { log.showPending(item, true); });
    if (state.danger) showDanger();
    renderChat();
    // What the tab remembers is not news: the status waits for the server's answer.
    setStatus(T.connecting, "");
  } else {
    state = null;
    unstore();
    show("welcome");
  }
  link.start();
})();
