/* Youth chat: the conversation on screen.
 *
 * Every message is shown once, in seq order, always as text. A message the young person
 * typed shows at the end until the server gives it a seq, and says in words whether it is
 * being sent or could not be sent yet. The page's own notices sit after the newest message.
 */
(function () {
  "use strict";

  var chat = window.helplineChat = window.helplineChat || {};
  var GAP_WAIT_MS = 3000;

  // options: texts() and language() of the page now; gap() when a hole in seq stays open.
  function ChatLog(element, options) {
    this.element = element;
    this.options = options;
    this.seen = {};           // seq -> element
    this.contiguous = 0;      // every seq up to here is on screen
    this.gapTimer = null;
  }

  ChatLog.prototype.reset = function () {
    clearTimeout(this.gapTimer);
    this.element.textContent = "";
    this.seen = {};
    this.contiguous = 0;
  };

  ChatLog.prototype.timeLabel = function (iso) {
    var d = iso ? new Date(iso) : new Date();
    if (isNaN(d.getTime())) d = new Date();
    var locale = this.options.language() === "en" ? "en-GB" : "vi-VN";
    return d.toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit" });
  };

  ChatLog.prototype.bubble = function (sender, body, at) {
    var T = this.options.texts();
    var li = document.createElement("li");
    li.className = "msg " + (sender === "youth" ? "me" : sender === "system" ? "system" : "them");
    var who = document.createElement("span");
    who.className = "visually-hidden";
    who.textContent = (sender === "youth" ? T.you : sender === "system" ? T.system : T.operator) + ": ";
    var p = document.createElement("p");
    p.className = "body";
    // People's messages stay plain text; the page's own notices link the emergency numbers.
    if (sender === "system") chat.setLinkedText(p, body);
    else p.textContent = body;
    li.appendChild(who);
    li.appendChild(p);
    if (sender !== "system") {
      var meta = document.createElement("span");
      meta.className = "meta";
      meta.setAttribute("aria-hidden", "true");
      meta.textContent = this.timeLabel(at);
      li.appendChild(meta);
    }
    return li;
  };

  // Confirmed messages in seq order; pending ones stay at the end.
  ChatLog.prototype.place = function (li, seq) {
    li.dataset.seq = String(seq);
    var items = this.element.children;
    for (var i = 0; i < items.length; i++) {
      var other = items[i];
      if (!other.dataset.seq || Number(other.dataset.seq) > seq) {
        this.element.insertBefore(li, other);
        return;
      }
    }
    this.element.appendChild(li);
  };

  ChatLog.prototype.scrollDown = function () {
    this.element.scrollTop = this.element.scrollHeight;
  };

  ChatLog.prototype.note = function (text) {
    var newest = Object.keys(this.seen).reduce(function (a, b) { return Math.max(a, Number(b)); }, 0);
    this.place(this.bubble("system", text), newest + 0.5);
    this.scrollDown();
  };

  ChatLog.prototype.markSeen = function (seq, li) {
    var log = this;
    this.seen[seq] = li;
    while (this.seen[this.contiguous + 1]) this.contiguous += 1;
    clearTimeout(this.gapTimer);
    // A hole in seq usually fills itself within a moment (an ack can overtake a
    // broadcast); if it does not, the page asks the server for what is missing.
    if (this.hasGap()) {
      this.gapTimer = setTimeout(function () {
        if (log.hasGap()) log.options.gap();
      }, GAP_WAIT_MS);
    }
  };

  ChatLog.prototype.hasGap = function () {
    return Object.keys(this.seen).length > this.contiguous;
  };

  ChatLog.prototype.pending = function (clientId) {
    return this.element.querySelector('li[data-client-id="' + clientId + '"]');
  };

  // An unconfirmed message says so in words, not only in colour.
  ChatLog.prototype.setSending = function (clientId, unsent) {
    var li = this.pending(clientId);
    if (!li) return;
    var label = li.querySelector(".sending");
    if (!label) {
      label = document.createElement("span");
      label.className = "sending";
      li.appendChild(label);
    }
    var T = this.options.texts();
    label.textContent = unsent ? T.unsent : T.sending;
    li.classList.toggle("unsent", unsent);
  };

  ChatLog.prototype.confirm = function (li, at, sentLabel) {
    li.classList.remove("pending", "unsent");
    delete li.dataset.clientId;
    var label = li.querySelector(".sending");
    if (label) label.remove();
    li.querySelector(".meta").textContent = this.timeLabel(at) + (sentLabel ? " · " + sentLabel : "");
  };

  ChatLog.prototype.showPending = function (item, unsent) {
    var li = this.bubble("youth", item.body);
    li.classList.add("pending");
    li.dataset.clientId = item.client_id;
    li.querySelector(".meta").textContent = "";
    this.element.appendChild(li);
    this.setSending(item.client_id, unsent);
    this.scrollDown();
  };

  ChatLog.prototype.removePending = function (clientId) {
    var li = this.pending(clientId);
    if (li) li.remove();
  };

  // A message frame from the server; false when it was on screen already.
  ChatLog.prototype.message = function (frame) {
    var seq = Number(frame.seq);
    if (!seq || this.seen[seq]) return false;
    var li = frame.sender === "youth" && frame.client_id ? this.pending(frame.client_id) : null;
    if (li) this.confirm(li, frame.at);
    else li = this.bubble(frame.sender, frame.body, frame.at);
    this.place(li, seq);
    this.markSeen(seq, li);
    this.scrollDown();
    return true;
  };

  ChatLog.prototype.ack = function (frame) {
    var seq = Number(frame.seq);
    var li = this.pending(frame.client_id);
    if (!li) return;
    if (this.seen[seq]) {
      // The replay already showed this message; the ack only confirms it.
      li.remove();
      return;
    }
    this.confirm(li, frame.at, this.options.texts().sent);
    this.place(li, seq);
    this.markSeen(seq, li);
  };

  chat.ChatLog = ChatLog;
})();
