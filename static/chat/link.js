/* Youth chat: the one socket to the server, kept alive over networks that fail halfway.
 *
 * A phone's connection can die without closing: a lift cuts the signal, the tab sleeps, a
 * mobile network forgets the flow. The browser then keeps an "open" socket that carries
 * nothing, sometimes for minutes. So the link sends a ping every PING_MS while open and
 * counts the socket dead once nothing at all (a pong, a message, anything) has arrived for
 * SILENCE_MS; a handshake that has not opened after CONNECT_MS is given up too. A dead or
 * closed socket is replaced after a backoff, and at once when the page asks (the browser
 * says the network is back, the page becomes visible or gets the focus, the young person
 * taps "try again").
 */
(function () {
  "use strict";

  var chat = window.helplineChat = window.helplineChat || {};

  var PING_MS = 4000;
  var SILENCE_MS = 9000;
  var CONNECT_MS = 9000;
  var WATCH_MS = 1000;
  var FRESH_HANDSHAKE_MS = 2000;
  // Quick while an outage is young (a tunnel, a lift), slower once it lasts, so a restarted
  // server is not hammered by every waiting page at once. Each wait is drawn between half
  // and all of its step, which spreads the pages out.
  var BACKOFF_MS = [500, 1000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 4000, 8000, 15000];

  // handlers: open() once a socket is open, frame(object) for each frame but pong,
  // down({code, wasOpen}) when a socket closed, died or never opened.
  function Link(url, handlers) {
    this.url = url;
    this.handlers = handlers;
    this.socket = null;
    this.isOpen = false;
    this.wanted = false;
    this.attempts = 0;
    this.retryTimer = null;
    this.watchTimer = null;
    this.heardAt = 0;
    this.pingedAt = 0;
  }

  Link.prototype.start = function () {
    this.wanted = true;
    if (!this.watchTimer) this.watchTimer = setInterval(this.watch.bind(this), WATCH_MS);
    this.connect();
  };

  Link.prototype.stop = function () {
    this.wanted = false;
    clearInterval(this.watchTimer);
    this.watchTimer = null;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.discard();
  };

  // A fresh socket, for a conversation of its own.
  Link.prototype.restart = function () {
    this.stop();
    this.attempts = 0;
    this.start();
  };

  Link.prototype.send = function (frame) {
    if (!this.isOpen) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  };

  // Try now rather than after the backoff; an open socket is asked to prove it lives.
  Link.prototype.retryNow = function () {
    if (!this.wanted) return;
    if (this.isOpen) {
      this.ping();
      return;
    }
    // A handshake just begun is let be; one that hangs is not worth waiting for.
    if (this.socket && Date.now() - this.heardAt < FRESH_HANDSHAKE_MS) return;
    this.discard();
    this.connect();
  };

  // The page came back (visible, focused, online): a socket silent for too long is dead.
  Link.prototype.check = function () {
    if (this.isOpen && Date.now() - this.heardAt > SILENCE_MS) this.fail();
    this.retryNow();
  };

  Link.prototype.connect = function () {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (!this.wanted || this.socket) return;
    var link = this;
    var ws;
    try {
      ws = new WebSocket(this.url);
    } catch (e) {
      this.gone(0, false);
      return;
    }
    this.socket = ws;
    this.isOpen = false;
    this.heardAt = Date.now();
    ws.onopen = function () {
      if (link.socket !== ws) return;
      link.isOpen = true;
      link.attempts = 0;
      link.heardAt = link.pingedAt = Date.now();
      link.handlers.open();
    };
    ws.onmessage = function (event) {
      if (link.socket !== ws) return;
      link.heardAt = Date.now();
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      if (frame && frame.type !== "pong") link.handlers.frame(frame);
    };
    ws.onclose = function (event) {
      if (link.socket !== ws) return;
      var wasOpen = link.isOpen;
      link.socket = null;
      link.isOpen = false;
      link.gone(event.code, wasOpen);
    };
  };

  Link.prototype.watch = function () {
    if (!this.socket) return;
    var now = Date.now();
    if (now - this.heardAt > (this.isOpen ? SILENCE_MS : CONNECT_MS)) {
      this.fail();
    } else if (this.isOpen && now - this.pingedAt >= PING_MS) {
      this.ping();
    }
  };

  Link.prototype.ping = function () {
    this.pingedAt = Date.now();
    this.send({ type: "ping" });
  };

  // The socket says nothing, or never opened: close it ourselves, as if the network had.
  Link.prototype.fail = function () {
    if (!this.socket) return;
    var wasOpen = this.isOpen;
    this.discard();
    this.gone(0, wasOpen);
  };

  // Forget the socket without hearing from it again; closing it is only a courtesy.
  Link.prototype.discard = function () {
    var ws = this.socket;
    this.socket = null;
    this.isOpen = false;
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = null;
    try { ws.close(1000); } catch (e) { /* already closing */ }
  };

  Link.prototype.gone = function (code, wasOpen) {
    this.handlers.down({ code: code, wasOpen: wasOpen });
    this.scheduleRetry();
  };

  Link.prototype.scheduleRetry = function () {
    if (!this.wanted || this.retryTimer || this.socket) return;
    var step = BACKOFF_MS[Math.min(this.attempts, BACKOFF_MS.length - 1)];
    this.attempts += 1;
    this.retryTimer = setTimeout(this.connect.bind(this), step / 2 + Math.random() * step / 2);
  };

  chat.Link = Link;
})();
