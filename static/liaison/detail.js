// The liaison's page of one escalation, kept current without reloading.
//
// The socket (ws/liaison/) carries no content: the page watches its escalation
// and hears its state and when it last changed. When that differs from what the
// page shows, the changing part is fetched again over HTTP, through the same
// access check and audit as opening the page. When the agency may no longer see
// the escalation (withdrawn, or the case closed), everything of it is taken off
// the page.
(function () {
  "use strict";

  var STRINGS = {
    vi: {
      live: "Đang cập nhật trực tiếp",
      updated: "Đã cập nhật lúc {time}",
      offline: "Mất kết nối, đang thử lại…",
      forbidden: "Phiên làm việc không còn hiệu lực. Hãy đăng nhập lại.",
      gone: "Yêu cầu này đã được rút lại hoặc hồ sơ đã đóng."
    },
    en: {
      live: "Live updates on",
      updated: "Updated at {time}",
      offline: "Disconnected, retrying…",
      forbidden: "Your session is no longer valid. Please sign in again.",
      gone: "This escalation was withdrawn or its case was closed."
    }
  };
  var lang = (document.documentElement.lang || "vi").slice(0, 2);
  var t = STRINGS[lang] || STRINGS.vi;

  var live = document.getElementById("escalation-live");
  var status = document.getElementById("live-status");
  var stateBadge = document.getElementById("escalation-state");
  var goneNotice = document.getElementById("escalation-gone");
  if (!live) {
    return;
  }
  var escalationId = Number(live.getAttribute("data-escalation"));
  var liveUrl = live.getAttribute("data-live-url");

  function say(text) {
    if (status) { status.textContent = text; }
  }

  function clock() {
    return new Date().toLocaleTimeString(lang === "en" ? "en-GB" : "vi-VN", {
      hour: "2-digit", minute: "2-digit"
    });
  }

  // --- what the page shows ---

  var socket = null;
  var ended = false;

  function gone() {
    if (ended) { return; }
    ended = true;
    var hadFocus = live.contains(document.activeElement);
    while (live.firstChild) {
      live.removeChild(live.firstChild);
    }
    live.hidden = true;
    if (stateBadge) { stateBadge.remove(); }
    if (goneNotice) {
      goneNotice.hidden = false;
      if (hadFocus) {
        goneNotice.setAttribute("tabindex", "-1");
        goneNotice.focus();
      }
    }
    say(t.gone);
    if (socket) { socket.close(1000); }
  }

  function showsVersion(item) {
    var content = document.getElementById("escalation-content");
    return Boolean(content) &&
      content.getAttribute("data-state") === item.state &&
      content.getAttribute("data-changed-at") === item.changed_at;
  }

  // The actions are replaced only when the state changed (other buttons apply), and
  // what the liaison was typing is carried over, with the focus.
  function replaceActions(fresh) {
    var current = document.getElementById("escalation-actions");
    if (!current || !fresh) { return; }
    if (current.getAttribute("data-state") === fresh.getAttribute("data-state")) { return; }
    var focusedId = current.contains(document.activeElement) ? document.activeElement.id : "";
    current.querySelectorAll("textarea[id]").forEach(function (old) {
      var same = fresh.querySelector("#" + CSS.escape(old.id));
      if (same && old.value) { same.value = old.value; }
    });
    current.replaceWith(fresh);
    var focus = focusedId ? document.getElementById(focusedId) : null;
    if (focus) { focus.focus(); }
  }

  function apply(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var content = doc.getElementById("escalation-content");
    var current = document.getElementById("escalation-content");
    if (!content || !current) { return; }
    current.replaceWith(document.importNode(content, true));
    var actions = doc.getElementById("escalation-actions");
    replaceActions(actions ? document.importNode(actions, true) : null);
    if (stateBadge) {
      stateBadge.className = "state state-" + content.getAttribute("data-state");
      stateBadge.textContent = content.getAttribute("data-state-label");
    }
    say(t.updated.replace("{time}", clock()));
  }

  var fetching = false;
  var fetchAgain = false;
  function refresh() {
    if (ended) { return; }
    if (fetching) {
      fetchAgain = true;
      return;
    }
    fetching = true;
    fetch(liveUrl, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (response.status === 404 || response.status === 403) {
          gone();
          return null;
        }
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html !== null && !ended) { apply(html); }
      })
      .catch(function () { say(t.offline); })
      .then(function () {
        fetching = false;
        if (fetchAgain) {
          fetchAgain = false;
          refresh();
        }
      });
  }

  function heard(item) {
    if (item && item.id === escalationId && !showsVersion(item)) {
      refresh();
    }
  }

  // --- the socket ---

  var delay = 1000;
  function connect() {
    if (ended) { return; }
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + live.getAttribute("data-socket"));
    socket.addEventListener("open", function () {
      delay = 1000;
      say(t.live);
      // Watching again after a reconnect also catches up on what was missed meanwhile.
      socket.send(JSON.stringify({ type: "watch", escalation: escalationId }));
    });
    socket.addEventListener("message", function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      if (frame.type === "watching" || frame.type === "escalation") {
        heard(frame.item);
      } else if (frame.type === "removed" && frame.escalation === escalationId) {
        gone();
      }
    });
    socket.addEventListener("close", function (event) {
      if (ended) { return; }
      if (event.code === 4403) {
        say(t.forbidden);
        return;
      }
      say(t.offline);
      window.setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    });
  }

  connect();
})();
