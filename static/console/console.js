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
      zalo: "Zalo",
      messenger: "Messenger",
      central: "Không rõ tỉnh",
      centralLine: "Trung ương",
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
      deletion: {
        done: "Người liên hệ đã xin xoá cuộc trò chuyện: nội dung đã được xoá.",
        pending: "Người liên hệ xin xoá cuộc trò chuyện: nội dung sẽ được xoá khi cuộc trò chuyện kết thúc.",
        held: "Người liên hệ xin xoá cuộc trò chuyện, nhưng hồ sơ đang được giữ theo yêu cầu của cơ quan có thẩm quyền: chưa xoá.",
        escalation_open: "Người liên hệ xin xoá cuộc trò chuyện, nhưng còn chuyển tuyến đang mở: chưa xoá.",
      },
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
      callEndedBy: {
        call_completed: "Cuộc gọi đã kết thúc.",
        caller_hung_up: "Người gọi đã gác máy.",
        operator_ended: "Bạn đã kết thúc cuộc gọi.",
      },
      callEnded: "Cuộc gọi đã kết thúc.",
      callAbandoned: "Người gọi đã gác máy trước khi được nhận.",
      smsEnded: "Cuộc nhắn tin đã kết thúc.",
      smsAbandoned: "Cuộc nhắn tin đã đóng trước khi được nhận.",
      voicemail: "lời nhắn thoại",
      voicemailNote: "Có lời nhắn thoại ({t}).",
      danger: "đã bấm phím 1: đang gặp nguy hiểm",
      talkTime: "thời lượng {t}",
      ringTime: "đã gọi {t}",
      revealed: "Số đầy đủ: {n}",
      revealFailed: "Không xem được số: {detail}",
      reauthNeeded: "Xem số đầy đủ cần xác nhận lại mật khẩu hoặc mã. Xác nhận xong, hãy bấm lại.",
      reauthLink: "Xác nhận lại (mở thẻ mới)",
      reconnecting: "Đang kết nối lại cuộc gọi…",
      reconnectFailed: "Chưa kết nối lại được. Hãy thử lại sau ít giây.",
      requestFailed: "không có phản hồi từ máy chủ",
      smsDelivery: {
        pending: "chờ gửi SMS",
        retrying: "chưa gửi được, sẽ tự gửi lại",
        sending: "đang gửi SMS…",
        accepted: "đã gửi đi",
        queued: "đã gửi đi",
        sent: "đã gửi đi",
        delivered: "đã tới máy",
        read: "đã đọc",
        undelivered: "không tới được máy",
        failed: "gửi thất bại",
      },
      smsFailedToast: "Một tin SMS không gửi được ({who}).",
      // Replies through Zalo or Messenger (connector_status frames); the notice says why.
      platformDelivery: {
        pending: "chờ gửi",
        retrying: "chưa gửi được, sẽ tự gửi lại",
        sending: "đang gửi…",
        sent: "đã gửi đi",
        failed: "không gửi được",
        window_closed: "không gửi được: quá thời hạn trả lời",
      },
      platformFailedToast: "Một tin trả lời không gửi được ({who}).",
      humanAgentSend: "Gửi với thẻ HUMAN_AGENT",
      softphone: {
        checking: "Đang kiểm tra…",
        off: "chưa cấu hình",
        loading: "đang kết nối…",
        ready: "sẵn sàng nhận cuộc gọi",
        offline: "mất kết nối, đang thử lại…",
        error: "lỗi",
        unsupported: "trình duyệt không hỗ trợ",
      },
      incoming: "đang đổ chuông",
      inCall: "đang nói chuyện",
      caller: "Cuộc gọi đến",
      incomingToast: "Cuộc gọi đến trên điện thoại trình duyệt: {who}.",
      mute: "Tắt tiếng",
      unmute: "Bật tiếng",
      hangup: "Gác máy",
      reject: "Từ chối",
      monitor: "Theo dõi",
      monitorLabel: "Theo dõi cuộc trao đổi: {who}, tư vấn viên {op}",
      monitoring: "Bạn đang theo dõi cuộc trao đổi này (chỉ xem). Việc theo dõi được ghi lại.",
      stopMonitoring: "Dừng theo dõi",
      monitorEnded: "Đã dừng theo dõi.",
      monitoredBy: "Giám sát viên {who} đang theo dõi cuộc trao đổi này.",
      monitorStoppedBy: "Giám sát viên {who} đã dừng theo dõi.",
      noActive: "Không có cuộc trao đổi nào đang diễn ra.",
      answeredFor: "đã nhận {t}",
      guest: "Khách {n}",
      newContact: "Có người mới trong hàng chờ.",
      queueAnnounce: "Hàng chờ: {n} người.",
      newMessage: "Tin nhắn mới: {who}.",
      dangerNow: "{who} báo đang GẶP NGUY HIỂM NGAY LÚC NÀY. Hãy hỏi xem em đang ở đâu và có an toàn không; khi cần gọi 113.",
      dangerFlag: "nguy hiểm ngay",
      leftMessage: "lời nhắn để lại",
      returningFlag: "đã liên hệ trước",
      earlierNone: "Chưa có liên hệ nào trước đây.",
      earlierItem: "{date} · {channel} · tổng đài {hotline}",
      read: "Đọc",
      earlierOf: "Liên hệ ngày {date}",
      handover: "Ghi chú bàn giao từ {h}:",
      notices: "Thông báo",
      noticesNone: "Chưa có thông báo.",
      escalationNotice: {
        send: "Đã gửi yêu cầu chuyển tuyến tới {agency}.",
        acknowledge: "{agency} đã tiếp nhận yêu cầu chuyển tuyến.",
        progress: "{agency} cập nhật tiến độ xử lý.",
        resolve: "{agency} đã báo kết quả xử lý.",
        "return": "{agency} đề nghị bổ sung thông tin.",
        decline: "{agency} từ chối yêu cầu chuyển tuyến.",
        resubmit: "Đã bổ sung và gửi lại yêu cầu tới {agency}.",
        withdraw: "Đã rút lại yêu cầu chuyển tuyến gửi {agency}.",
        message: "{agency} đã trả lời.",
        hotline_message: "Tổng đài đã nhắn tới {agency}.",
        disclose: "Đã chia sẻ thêm thông tin với {agency}.",
        ack_overdue: "{agency} chưa tiếp nhận yêu cầu đúng hạn.",
      },
      caseRef: "hồ sơ {ref}",
      callbacksWaiting: "{n} yêu cầu gọi lại đang chờ người nhận.",
      wrapUpTitle: "Ghi kết quả: {who}",
      wrapUpType: "Loại liên hệ",
      wrapUpCategories: "Phân loại (có thể chọn nhiều)",
      wrapUpOutcome: "Kết quả",
      wrapUpGender: "Giới tính",
      wrapUpSave: "Lưu kết quả",
      wrapUpSaved: "Đã ghi kết quả.",
      wrapUpNeeded: "Hãy ghi kết quả các cuộc vừa xong trước khi nhận cuộc mới.",
      callbacksLabel: "Gọi lại: {n} chưa có người nhận",
      attachmentBlurred: "Ảnh người liên hệ gửi (đang làm mờ)",
      attachmentShow: "Xem ảnh",
      attachmentRecorded: "Mỗi lần xem được ghi lại.",
      attachmentFull: "Ảnh người liên hệ gửi",
      attachmentFailed: "Không mở được ảnh.",
      attachmentGone: "Ảnh không còn được lưu.",
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
      zalo: "Zalo",
      messenger: "Messenger",
      central: "Province unknown",
      centralLine: "Central",
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
      deletion: {
        done: "The young person asked to delete this conversation: its content is deleted.",
        pending: "The young person asked to delete this conversation: its content is deleted when it ends.",
        held: "The young person asked to delete this conversation, but its case is held at a competent authority's request: not deleted.",
        escalation_open: "The young person asked to delete this conversation, but an escalation is still open: not deleted.",
      },
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
      callEndedBy: {
        call_completed: "The call has ended.",
        caller_hung_up: "The caller hung up.",
        operator_ended: "You ended the call.",
      },
      callEnded: "The call has ended.",
      callAbandoned: "The caller hung up before anyone answered.",
      smsEnded: "The SMS conversation has ended.",
      smsAbandoned: "The SMS conversation closed before anyone answered.",
      voicemail: "voicemail",
      voicemailNote: "Voicemail left ({t}).",
      danger: "pressed 1: in danger now",
      talkTime: "talking {t}",
      ringTime: "calling for {t}",
      revealed: "Full number: {n}",
      revealFailed: "Could not show the number: {detail}",
      reauthNeeded: "Showing the full number needs your password or a code again. Once confirmed, click again.",
      reauthLink: "Confirm (opens a new tab)",
      reconnecting: "Reconnecting the call…",
      reconnectFailed: "Not reconnected yet. Try again in a few seconds.",
      requestFailed: "no answer from the server",
      smsDelivery: {
        pending: "waiting to send by SMS",
        retrying: "not sent yet, will retry",
        sending: "sending by SMS…",
        accepted: "sent",
        queued: "sent",
        sent: "sent",
        delivered: "delivered",
        read: "read",
        undelivered: "not delivered",
        failed: "failed",
      },
      smsFailedToast: "An SMS could not be sent ({who}).",
      platformDelivery: {
        pending: "waiting to send",
        retrying: "not sent yet, will retry",
        sending: "sending…",
        sent: "sent",
        failed: "not delivered",
        window_closed: "not sent: reply window closed",
      },
      platformFailedToast: "A reply could not be sent ({who}).",
      humanAgentSend: "Send with the HUMAN_AGENT tag",
      softphone: {
        checking: "Checking…",
        off: "not configured",
        loading: "connecting…",
        ready: "ready for calls",
        offline: "offline, retrying…",
        error: "error",
        unsupported: "browser not supported",
      },
      incoming: "ringing",
      inCall: "on the call",
      caller: "Incoming call",
      incomingToast: "Incoming call on the browser phone: {who}.",
      mute: "Mute",
      unmute: "Unmute",
      hangup: "Hang up",
      reject: "Decline",
      monitor: "Monitor",
      monitorLabel: "Monitor the conversation: {who}, counsellor {op}",
      monitoring: "You are monitoring this conversation (read only). Monitoring is recorded.",
      stopMonitoring: "Stop monitoring",
      monitorEnded: "Monitoring stopped.",
      monitoredBy: "Supervisor {who} is monitoring this conversation.",
      monitorStoppedBy: "Supervisor {who} stopped monitoring.",
      noActive: "No conversation is in progress.",
      answeredFor: "answered {t} ago",
      guest: "Visitor {n}",
      newContact: "Someone new is waiting.",
      queueAnnounce: "Queue: {n} waiting.",
      newMessage: "New message: {who}.",
      dangerNow: "{who} says they are IN DANGER NOW. Ask where they are and whether they are safe; call 113 if needed.",
      dangerFlag: "in danger now",
      leftMessage: "left a message",
      returningFlag: "has contacted before",
      earlierNone: "No earlier contact yet.",
      earlierItem: "{date} · {channel} · hotline {hotline}",
      read: "Read",
      earlierOf: "Contact of {date}",
      handover: "Handover note from {h}:",
      notices: "Notifications",
      noticesNone: "No notifications yet.",
      escalationNotice: {
        send: "Escalation sent to {agency}.",
        acknowledge: "{agency} acknowledged the escalation.",
        progress: "{agency} posted a progress update.",
        resolve: "{agency} reported the outcome.",
        "return": "{agency} asked for more information.",
        decline: "{agency} declined the escalation.",
        resubmit: "More information sent again to {agency}.",
        withdraw: "Escalation to {agency} withdrawn.",
        message: "{agency} replied.",
        hotline_message: "The hotline wrote to {agency}.",
        disclose: "More information shared with {agency}.",
        ack_overdue: "{agency} has not acknowledged in time.",
      },
      caseRef: "case {ref}",
      callbacksWaiting: "{n} callback requests are waiting for someone to take them.",
      wrapUpTitle: "Wrap-up: {who}",
      wrapUpType: "Type of contact",
      wrapUpCategories: "Categories (several allowed)",
      wrapUpOutcome: "Outcome",
      wrapUpGender: "Gender",
      wrapUpSave: "Save wrap-up",
      wrapUpSaved: "Wrap-up saved.",
      wrapUpNeeded: "Wrap up the conversations you finished before taking a new one.",
      callbacksLabel: "Callbacks: {n} not taken",
      attachmentBlurred: "Image sent by the young person (blurred)",
      attachmentShow: "Show image",
      attachmentRecorded: "Each viewing is recorded.",
      attachmentFull: "Image sent by the young person",
      attachmentFailed: "Could not open the image.",
      attachmentGone: "The image is no longer kept.",
    },
  };
  var T = STRINGS[lang];

  function $(id) { return document.getElementById(id); }
  var els = {
    queue: $("queue"), queueEmpty: $("queue-empty"), queueCount: $("queue-count"),
    presence: $("presence"), connection: $("connection"), load: $("load"),
    tabs: $("tabs"), panes: $("panes"), noChats: $("no-chats"), toasts: $("toasts"),
    template: $("pane-template"),
    activePanel: $("active-panel"), activeList: $("active-list"), activeRefresh: $("active-refresh"),
    activeEmpty: $("active-empty"), announcer: $("announcer"),
    noticesButton: $("notices-button"), noticesBadge: $("notices-badge"), noticesPanel: $("notices-panel"),
    noticesList: $("notices-list"), noticesEmpty: $("notices-empty"),
    soundToggle: $("sound-toggle"), desktopToggle: $("desktop-toggle"),
    callbacksBadge: $("callbacks-badge"), callbacksLink: $("callbacks-link"),
    wrapups: $("wrapups"), wrapupList: $("wrapup-list"), wrapupsCount: $("wrapups-count"),
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
  var guests = 0;             // "Visitor 1, 2, 3…": tabs this operator can tell apart
  var knownQueue = null;      // the queue's ids at the last push, to hear who is new
  var baseTitle = document.title;
  var unreadNotices = 0;

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
  function provinceName(code, channel) {
    // A web chat without a province chose none; a call or SMS without one came in on the central line.
    if (!code) return isPhone(channel) ? T.centralLine : T.central;
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
    var masked = phoneCache.has(item.conversation) ? phoneCache.get(item.conversation).masked : "";
    return (masked ? masked + " · " : "") + provinceName(item.province, item.channel) + " · " + (T[item.channel] || item.channel);
  }
  function isPhone(channel) { return channel === "voice" || channel === "sms"; }
  function urlFor(template, id) { return template.replace(config.telephony.placeholder, id); }

  /* ---- phone conversations: masked number, call progress, SMS delivery (telephony's JSON view) ---- */
  var phoneCache = new Map();   // conversation id -> last state the server gave
  var phoneRequests = new Map();
  function phoneState(id, fresh) {
    if (!fresh && phoneCache.has(id)) return Promise.resolve(phoneCache.get(id));
    if (phoneRequests.has(id)) return phoneRequests.get(id);
    var request = fetch(urlFor(config.telephony.state, id), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        // Not visible to this user (a provincial call overflowing to central): show no number,
        // and don't ask again on every queue push.
        if (response.status === 404 || response.status === 403) return { masked: "", call: null, sms: [] };
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (data) { phoneCache.set(id, data); return data; });
    phoneRequests.set(id, request);
    var forget = function () { phoneRequests.delete(id); };
    request.then(forget, forget);
    return request;
  }
  function post(url) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": config.csrfToken, Accept: "application/json" },
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        data.httpStatus = response.status;
        return data;
      });
    });
  }

  /* ---- notifications ---- */
  function toast(text, kind, link) {
    var box = el("div", "toast" + (kind ? " " + kind : ""));
    box.setAttribute("role", kind === "urgent" ? "alert" : "status");
    box.appendChild(el("p", null, text));
    if (link && link.href) {
      var a = el("a", null, link.text);
      a.href = link.href;
      if (link.newTab) { a.target = "_blank"; a.rel = "noopener"; }
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

  /* ---- new work is felt: title, sound, desktop notice, screen reader ---- */
  function pref(name) { try { return localStorage.getItem("console." + name) === "1"; } catch (e) { return false; } }
  function setPref(name, on) { try { localStorage.setItem("console." + name, on ? "1" : "0"); } catch (e) { /* private mode */ } }

  function updateTitle() {
    var unread = 0;
    panes.forEach(function (pane) { if (!pane.badge.hidden) unread += 1; });
    var n = queueItems.length + unread;
    document.title = (n ? "(" + n + ") " : "") + baseTitle;
  }

  var audio = null;
  function chime() {
    if (!pref("sound")) return;
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var osc = audio.createOscillator(), gain = audio.createGain();
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.15, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.35);
      osc.connect(gain).connect(audio.destination);
      osc.start();
      osc.stop(audio.currentTime + 0.35);
    } catch (e) { /* no audio on this device */ }
  }

  // Never any message text in a desktop notice: only that something is waiting.
  function desktopNotice(text) {
    if (!pref("desktop") || !document.hidden || !("Notification" in window)) return;
    if (Notification.permission !== "granted") return;
    try { new Notification(baseTitle, { body: text, tag: "helpline-console" }); } catch (e) { /* not allowed */ }
  }

  function announce(text) {
    els.announcer.textContent = "";
    // A change of text is what screen readers hear; clear first so a repeat is heard too.
    setTimeout(function () { els.announcer.textContent = text; }, 50);
  }

  function setupToggles() {
    els.soundToggle.checked = pref("sound");
    els.desktopToggle.checked = pref("desktop") && "Notification" in window && Notification.permission === "granted";
    els.soundToggle.addEventListener("change", function () {
      setPref("sound", els.soundToggle.checked);
      if (els.soundToggle.checked) chime();
    });
    els.desktopToggle.addEventListener("change", function () {
      if (!els.desktopToggle.checked || !("Notification" in window)) { setPref("desktop", false); return; }
      Notification.requestPermission().then(function (answer) {
        var granted = answer === "granted";
        setPref("desktop", granted);
        els.desktopToggle.checked = granted;
      });
    });
  }

  /* ---- notifications list (news about cases: never over the composer) ---- */
  function addNotice(text, link) {
    var li = el("li", "notice-item");
    li.appendChild(el("time", "at", timeLabel()));
    li.appendChild(document.createTextNode(" "));
    li.appendChild(el("span", null, text));
    if (link && link.href) {
      li.appendChild(document.createTextNode(" "));
      var a = el("a", null, link.text);
      a.href = link.href;
      li.appendChild(a);
    }
    els.noticesList.insertBefore(li, els.noticesList.firstChild);
    els.noticesEmpty.hidden = true;
    if (els.noticesPanel.hidden) {
      unreadNotices += 1;
      els.noticesBadge.textContent = String(unreadNotices);
      els.noticesBadge.hidden = false;
    }
    announce(text);
  }

  /* ---- callback requests waiting for someone to take them (telephony's pages) ---- */
  var unclaimedCallbacks = null;
  function showCallbacks(counts) {
    var n = counts.unclaimed || 0;
    els.callbacksBadge.textContent = String(n);
    els.callbacksBadge.hidden = n === 0;
    els.callbacksLink.setAttribute("aria-label", fmt(T.callbacksLabel, { n: n }));
    if (unclaimedCallbacks !== null && n > unclaimedCallbacks) {
      chime();
      announce(fmt(T.callbacksWaiting, { n: n }));
      desktopNotice(fmt(T.callbacksWaiting, { n: n }));
    }
    unclaimedCallbacks = n;
  }
  function loadCallbacks() {
    fetch(config.telephony.callbackItems, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) showCallbacks(data); }, function () {});
  }

  /* ---- wrap-up: what each finished contact was (codes only), in a few keystrokes ---- */
  function selectField(label, options, value, multiple) {
    var wrap = el("label", "field", label);
    var select = el("select");
    if (multiple) { select.multiple = true; select.size = 4; }
    options.forEach(function (option) {
      if (option.group) { select.appendChild(option.group); return; }
      var node = el("option", null, option[1]);
      node.value = option[0];
      if (option[0] === value) node.selected = true;
      select.appendChild(node);
    });
    wrap.appendChild(select);
    return { label: wrap, select: select };
  }

  function categoryOptions() {
    // Top-level categories become groups; online harms come first in the tree already.
    var groups = {}, order = [];
    config.wrapUp.categories.forEach(function (c) {
      if (!c.parent) { groups[c.code] = el("optgroup"); groups[c.code].label = c.name; order.push(c.code); }
    });
    config.wrapUp.categories.forEach(function (c) {
      var group = groups[c.parent] || groups[c.code];
      if (!group) return;
      var node = el("option", null, c.name);
      node.value = c.code;
      group.appendChild(node);
    });
    return order.map(function (code) { return { group: groups[code] }; });
  }

  function wrapUpForm(item, who) {
    var form = el("form", "wrap-up");
    form.dataset.conversation = item.conversation;
    form.appendChild(el("p", "wrap-up-title", fmt(T.wrapUpTitle, { who: who })));
    var kind = selectField(T.wrapUpType, config.wrapUp.contactTypes, item.left_message ? "out_of_hours" : "counselling");
    var categories = selectField(T.wrapUpCategories, categoryOptions(), null, true);
    var outcome = selectField(T.wrapUpOutcome, config.wrapUp.outcomes, item["case"] ? "case" : "resolved");
    var gender = selectField(T.wrapUpGender, config.wrapUp.genders, "unknown");
    [kind, categories, outcome, gender].forEach(function (field) { form.appendChild(field.label); });
    var save = el("button", "primary", T.wrapUpSave);
    save.type = "submit";
    form.appendChild(save);
    form.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && event.target.tagName === "SELECT" && !event.target.multiple) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var chosen = Array.prototype.filter.call(categories.select.options, function (o) { return o.selected; })
        .map(function (o) { return o.value; });
      save.disabled = true;
      send({ type: "wrap_up", conversation: item.conversation, contact_type: kind.select.value,
        categories: chosen, outcome: outcome.select.value, gender: gender.select.value });
    });
    return form;
  }

  var lastWrapUps = [];
  function renderWrapUps(items) {
    lastWrapUps = items || [];
    els.wrapupList.textContent = "";
    var waiting = 0;
    (items || []).forEach(function (item) {
      var pane = panes.get(item.conversation);
      if (pane) {
        var slot = pane.node.querySelector(".wrap-up-slot");
        if (!slot.firstChild) {
          slot.appendChild(wrapUpForm(item, pane.guest));
          if (selected === pane.id) slot.querySelector("select").focus();
        }
        waiting += 1;
        return;
      }
      var who = provinceName(item.province, item.channel) + " · " + (T[item.channel] || item.channel);
      els.wrapupList.appendChild(wrapUpForm(item, who));
      waiting += 1;
    });
    els.wrapupsCount.textContent = String(waiting);
    els.wrapups.hidden = els.wrapupList.childElementCount === 0;
  }

  function onWrappedUp(frame) {
    var forms = document.querySelectorAll('form.wrap-up[data-conversation="' + frame.conversation + '"]');
    Array.prototype.forEach.call(forms, function (form) { form.remove(); });
    toast(T.wrapUpSaved, "");
  }

  function escalationText(frame) {
    var names = frame.agency_names || {};
    var agency = names[lang] || frame.agency || "";
    var template = T.escalationNotice[frame.notice_code];
    var text = template ? fmt(template, { agency: agency }) : (frame.notice || "");
    return text + (frame.reference ? " (" + fmt(T.caseRef, { ref: frame.reference }) + ")" : "");
  }

  /* ---- queue ---- */
  // A list row of a conversation: channel, where from, risk. Never any message text.
  function listItem(item) {
    var li = el("li", "queue-item risk-line-" + (item.risk || "none"));
    var head = el("div", "qi-head");
    var channel = el("span", "channel");
    channel.appendChild(icon(item.channel));
    channel.appendChild(el("span", "visually-hidden", T[item.channel] || item.channel));
    head.appendChild(channel);
    head.appendChild(el("strong", "where", provinceName(item.province, item.channel)));
    head.appendChild(el("span", "risk risk-" + (item.risk || "none"), riskLabel(item.risk)));
    li.appendChild(head);
    return li;
  }

  function renderQueue(items) {
    queueItems = items || [];
    els.queue.textContent = "";
    queueItems.forEach(function (item) {
      var li = listItem(item);
      li.dataset.conversation = item.conversation;
      var head = li.querySelector(".qi-head");
      var meta = el("div", "qi-meta");
      if (isPhone(item.channel)) {
        var number = el("span", "phone-masked");
        head.insertBefore(number, head.children[1]);
        var flag = el("span", "flag voicemail-flag", T.voicemail);
        flag.hidden = true;
        meta.appendChild(flag);
        phoneState(item.conversation).then(function (data) {
          number.textContent = data.masked || "";
          flag.hidden = !(data.call && data.call.status === "voicemail");
        }, function () {});
      }
      var wait = el("span", "wait");
      wait.dataset.since = item.waiting_since;
      meta.appendChild(wait);
      if (item.age_group) meta.appendChild(el("span", null, item.age_group));
      if (item.language && item.language !== "vi") meta.appendChild(el("span", null, item.language.toUpperCase()));
      if (item.danger) meta.appendChild(el("span", "flag danger-flag", T.dangerFlag));
      if (item.left_message) meta.appendChild(el("span", "flag", T.leftMessage));
      if (item.returning) meta.appendChild(el("span", "flag", T.returningFlag));
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
    var ids = queueItems.map(function (item) { return item.conversation; });
    var arrived = knownQueue === null ? [] : ids.filter(function (id) { return knownQueue.indexOf(id) < 0; });
    if (knownQueue === null || arrived.length || ids.length !== knownQueue.length) {
      announce(fmt(T.queueAnnounce, { n: ids.length }) + (arrived.length ? " " + T.newContact : ""));
    }
    if (arrived.length) {
      chime();
      desktopNotice(T.newContact);
    }
    knownQueue = ids;
    updateTitle();
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
      deletionBanner: node.querySelector(".deletion-banner"),
      endedBanner: node.querySelector(".ended-banner"), youthStatus: node.querySelector(".youth-status"),
      lastTyping: 0, state: info.state || "active",
      channel: info.channel || "webchat", phone: isPhone(info.channel), call: null, delivery: {},
      phoneBar: node.querySelector(".phone-bar"), phoneNumber: node.querySelector(".phone-number"),
      reveal: node.querySelector(".reveal"), callState: node.querySelector(".call-state"),
      callTimer: node.querySelector(".call-timer"), smsHint: node.querySelector(".sms-hint"),
      callAlert: node.querySelector(".call-alert"), callNotice: node.querySelector(".call-notice"),
      reconnect: node.querySelector(".reconnect"),
      monitorBanner: node.querySelector(".monitor-banner"), monitor: false,
      dangerBanner: node.querySelector(".danger-banner"), handoverBanner: node.querySelector(".handover-banner"),
      earlierBox: node.querySelector(".earlier"), earlierButton: node.querySelector(".earlier-button"),
      earlierList: node.querySelector(".earlier-list"), earlierLog: node.querySelector(".earlier-log"),
      transferNote: node.querySelector(".transfer-note"),
    };
    node.id = "pane-" + id;
    pane.endButton.dataset.label = pane.endButton.textContent;
    node.querySelector(".title").textContent = fmt(T.guest, { n: guests + 1 }) + " · " + describe(info) + (info.age_group ? " · " + info.age_group : "");
    pane.log.setAttribute("aria-label", describe(info));

    var tab = el("button", "tab");
    tab.type = "button";
    tab.id = "tab-" + id;
    tab.setAttribute("role", "tab");
    tab.setAttribute("aria-controls", node.id);
    tab.appendChild(icon(info.channel || "webchat"));
    // Several chats at once need telling apart at a glance: a number, the age band, the risk colour.
    guests += 1;
    pane.guest = fmt(T.guest, { n: guests });
    pane.tabLabel = el("span", "tab-label", pane.guest + (info.age_group ? " · " + info.age_group : ""));
    tab.appendChild(pane.tabLabel);
    pane.badge = el("span", "badge", "");
    pane.badge.hidden = true;
    tab.appendChild(pane.badge);
    tab.addEventListener("click", function (event) { select(id, event.detail > 0); });
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
      send({ type: "transfer", conversation: id, hotline: code, note: pane.transferNote.value.trim() });
    });
    pane.endButton.addEventListener("click", function () {
      if (pane.monitor) { send({ type: "unmonitor", conversation: id }); return; }
      if (pane.state !== "active") { closePane(id); return; }
      if (window.confirm(T.confirmEnd)) send({ type: "end", conversation: id });
    });
    pane.earlierButton.addEventListener("click", function () { send({ type: "earlier", conversation: id }); });
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
    if (pane.phone) setupPhonePane(pane);
    return pane;
  }

  function setupPhonePane(pane) {
    var voice = pane.channel === "voice";
    pane.phoneBar.hidden = false;
    pane.node.classList.add("channel-" + pane.channel);
    pane.youthStatus.hidden = true;
    pane.callState.hidden = !voice;
    pane.callTimer.hidden = !voice;
    pane.smsHint.hidden = voice;
    // A call is talked, not typed: no message box, no typing indicator.
    pane.composer.hidden = voice;
    if (voice) pane.typing.remove();
    pane.reveal.addEventListener("click", function () { revealNumber(pane); });
    pane.reconnect.addEventListener("click", function () { reconnectCall(pane); });
    refreshPhone(pane);
  }

  function refreshPhone(pane) {
    return phoneState(pane.id, true).then(function (data) {
      if (panes.get(pane.id) === pane) applyPhoneState(pane, data);
    }, function () {});
  }

  function applyPhoneState(pane, data) {
    if (!pane.revealed) pane.phoneNumber.textContent = data.masked || "";
    pane.reveal.hidden = pane.revealed || !(data.can_reveal && config.isSupervisor && data.masked);
    if (data.masked) {
      pane.tabLabel.textContent = data.masked.replace(/^\S+\s/, "");
      pane.node.querySelector(".title").textContent = describe(pane.info);
    }
    (data.sms || []).forEach(function (sms) {
      if (sms.direction === "out") setDelivery(pane, sms.seq, sms.status, "");
    });
    if (data.call) {
      pane.call = data.call;
      pane.callState.textContent = data.call.status_label;
      if (data.call.pressed_danger) pane.callState.appendChild(el("span", "danger-flag", " · " + T.danger));
      if (data.call.voicemails.length) {
        var seconds = data.call.voicemails[0].duration_seconds || 0;
        pane.callState.appendChild(el("span", "voicemail-note", " · " + fmt(T.voicemailNote, { t: duration(seconds * 1000) })));
      }
      pane.callState.className = "call-state status-" + data.call.status;
      if (data.call.terminal) pane.reconnect.hidden = true;
      // Connected at last: an earlier connect failure is no longer news.
      if (data.call.status === "answered") pane.callAlert.hidden = true;
      tickCall(pane);
    }
  }

  function tickCall(pane) {
    var call = pane.call;
    if (!call) return;
    var now = Date.now();
    var answered = Date.parse(call.answered_at);
    var text = "";
    if (!isNaN(answered)) {
      var end = call.ended_at ? Date.parse(call.ended_at) : now;
      var talked = call.terminal && call.talk_seconds != null ? call.talk_seconds * 1000 : end - answered;
      text = fmt(T.talkTime, { t: duration(talked) });
    } else if (!call.terminal) {
      var since = Date.parse(call.received_at);
      if (!isNaN(since)) text = fmt(T.ringTime, { t: duration(now - since) });
    }
    pane.callTimer.textContent = text;
  }

  function revealNumber(pane) {
    pane.reveal.disabled = true;
    post(urlFor(config.telephony.reveal, pane.id)).then(function (data) {
      pane.reveal.disabled = false;
      if (data.error === "reauth_required" && data.reauth_url) {
        // The password or a code again, in a tab of its own: the console and its calls stay here.
        toast(T.reauthNeeded, "", { href: data.reauth_url, text: T.reauthLink, newTab: true });
        return;
      }
      if (!data.number) {
        toast(fmt(T.revealFailed, { detail: data.detail || data.error || data.httpStatus }), "");
        return;
      }
      pane.revealed = true;
      pane.reveal.hidden = true;
      pane.phoneNumber.textContent = fmt(T.revealed, { n: data.number });
      pane.phoneNumber.classList.add("revealed");
    }, function () {
      pane.reveal.disabled = false;
      toast(fmt(T.revealFailed, { detail: T.requestFailed }), "");
    });
  }

  function showCallAlert(pane, notice, canReconnect) {
    pane.callNotice.textContent = notice || "";
    pane.callAlert.hidden = !notice;
    pane.reconnect.hidden = !canReconnect;
    pane.reconnect.disabled = false;
  }

  function reconnectCall(pane) {
    pane.reconnect.disabled = true;
    post(urlFor(config.telephony.reconnect, pane.id)).then(function (data) {
      if (data.ok) {
        showCallAlert(pane, T.reconnecting, false);
      } else if (data.httpStatus === 200) {
        // The server pushes call_error again with the reason; keep the button for another try.
        showCallAlert(pane, T.reconnectFailed, true);
      } else {
        showCallAlert(pane, fmt(T.error, { detail: data.detail || data.error || data.httpStatus }), false);
      }
      refreshPhone(pane);
    }, function () {
      showCallAlert(pane, fmt(T.error, { detail: T.requestFailed }), true);
    });
  }

  var SMS_RANK = { pending: 0, retrying: 0, received: 0, sending: 1, accepted: 2, queued: 3, sent: 4,
    delivered: 5, undelivered: 5, failed: 5, read: 6 };

  function setDelivery(pane, seq, status, notice) {
    seq = Number(seq);
    if (!seq || !(status in SMS_RANK)) return;
    var known = pane.delivery[seq];
    if (known && SMS_RANK[status] < SMS_RANK[known.status]) return;
    if (known && SMS_RANK[status] === SMS_RANK[known.status] && !notice) return;
    pane.delivery[seq] = { status: status, notice: notice || "" };
    showDelivery(pane, seq);
  }

  function showDelivery(pane, seq) {
    var state = pane.delivery[seq];
    var li = state && pane.log.querySelector('li.me[data-seq="' + seq + '"]');
    if (!li || li.dataset.clientId) return;
    var mark = li.querySelector(".delivery");
    if (!mark) {
      mark = el("span", "delivery");
      li.querySelector(".meta").appendChild(mark);
    }
    var failed = state.status === "failed" || state.status === "undelivered" || state.status === "window_closed";
    var waiting = state.status === "pending" || state.status === "retrying";
    var labels = isPlatform(pane.channel) ? T.platformDelivery : T.smsDelivery;
    mark.textContent = " · " + (labels[state.status] || state.status);
    mark.className = "delivery sms-" + state.status;
    li.classList.toggle("failed", failed);
    li.classList.toggle("delivered", state.status === "delivered" || state.status === "read");
    var note = li.querySelector(".notice");
    if (state.notice) {
      if (!note) {
        note = el("p", "notice");
        note.setAttribute("role", "alert");
        li.appendChild(note);
      }
      note.textContent = state.notice;
      note.classList.toggle("waiting", waiting);
      if (state.offer) note.appendChild(humanAgentButton(pane, seq, state.offer));
    } else if (note && !failed && !waiting) {
      note.remove();
    }
  }

  function isPlatform(channel) { return channel === "zalo" || channel === "messenger"; }

  // Messenger's policy still allows this reply with a tag: offered only when the server says so.
  function humanAgentButton(pane, seq, offer) {
    var button = el("button", "link human-agent", " " + T.humanAgentSend);
    button.type = "button";
    button.addEventListener("click", function () {
      button.disabled = true;
      post(offer.url).then(function (data) {
        if (data.httpStatus === 200) {
          pane.delivery[seq] = { status: data.status, notice: "" };
          showDelivery(pane, seq);
        } else {
          button.disabled = false;
          toast(data.detail || fmt(T.error, { detail: data.error || data.httpStatus }), "urgent");
        }
      }, function () {
        button.disabled = false;
        toast(fmt(T.error, { detail: T.requestFailed }), "urgent");
      });
    });
    return button;
  }

  // The server settles each platform reply once (sent, retrying, not delivered, window closed),
  // in that order for one reply: the latest frame is the truth. A history's "delivery" says the
  // same (fromHistory): it is shown, but it is not news worth a toast.
  function onConnectorStatus(frame, pane, seq, fromHistory) {
    seq = Number(seq || frame.seq);
    var trouble = frame.status === "failed" || frame.status === "window_closed" || frame.status === "retrying";
    if (pane && seq) {
      pane.delivery[seq] = { status: frame.status, notice: trouble ? frame.notice || "" : "", offer: frame.offer || null };
      showDelivery(pane, seq);
    }
    if (trouble && !fromHistory && (!pane || selected !== pane.id)) {
      toast(frame.notice || fmt(T.platformFailedToast, { who: pane ? describe(pane.info) : "" }), "");
    }
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
    // Arrow keys move between tabs and stay on them; Enter or a click goes to the reply box.
    select(next.id.slice(4), false);
    next.focus();
  }

  function closePane(id) {
    var pane = panes.get(id);
    if (!pane) return;
    pane.tab.remove();
    pane.node.remove();
    panes.delete(id);
    renderWrapUps(lastWrapUps);
    var first = panes.keys().next();
    if (selected === id) select(first.done ? null : first.value, false);
    els.noChats.hidden = panes.size > 0;
  }

  function applyInfo(pane, info) {
    Object.keys(info).forEach(function (key) { if (info[key] !== undefined) pane.info[key] = info[key]; });
    if (info.risk !== undefined && document.activeElement !== pane.riskSelect) pane.riskSelect.value = info.risk || "";
    if (info.risk !== undefined) {
      ["low", "medium", "high", "imminent"].forEach(function (risk) { pane.tab.classList.toggle("tab-risk-" + risk, info.risk === risk); });
      pane.tab.classList.toggle("risk-high", info.risk === "high" || info.risk === "imminent");
    }
    if (info.danger) showDanger(pane, false);
    if (info.returning) pane.earlierBox.hidden = pane.monitor;
    if (info.handover_note) {
      pane.handoverBanner.textContent = "";
      pane.handoverBanner.appendChild(el("strong", null, fmt(T.handover, { h: hotlineName(info.transferred_from) || "" }) + " "));
      pane.handoverBanner.appendChild(document.createTextNode(info.handover_note));
      pane.handoverBanner.hidden = false;
    }
    if (info.case_url) showCase(pane, { url: info.case_url, reference: info.case_reference || String(info["case"]) });
    if (info.youth_connected !== undefined && !pane.phone) setYouth(pane, info.youth_connected);
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
    var voice = pane.channel === "voice", sms = pane.channel === "sms";
    var text = voice ? T.callEnded : sms ? T.smsEnded : T.ended;
    if (value === "abandoned") text = voice ? T.callAbandoned : sms ? T.smsAbandoned : T.abandoned;
    else if (reason === "transferred" || value === "queued") text = fmt(T.transferred, { h: pane.transferredTo || "" });
    else if (voice && T.callEndedBy[reason]) text = T.callEndedBy[reason];
    else if (T.endedBy[reason]) text = T.endedBy[reason];
    if (pane.phone) refreshPhone(pane);
    pane.endedBanner.textContent = text;
    pane.endedBanner.hidden = false;
    if (reason === "quick_exit") showQuickExit(pane);
    hideTyping(pane);
    updateLoad();
  }

  function showDanger(pane, fresh) {
    pane.dangerBanner.textContent = fmt(T.dangerNow, { who: pane.guest });
    pane.dangerBanner.hidden = false;
    pane.tab.classList.add("danger");
    if (fresh) {
      toast(fmt(T.dangerNow, { who: pane.guest }), "urgent");
      chime();
      desktopNotice(T.dangerFlag);
    }
  }

  function showEarlier(pane, items) {
    pane.earlierList.textContent = "";
    if (!items.length) pane.earlierList.appendChild(el("li", null, T.earlierNone));
    items.forEach(function (item) {
      var li = el("li");
      var date = new Date(item.started_at).toLocaleDateString(lang === "en" ? "en-GB" : "vi-VN");
      li.appendChild(el("span", null, fmt(T.earlierItem, { date: date, channel: T[item.channel] || item.channel, hotline: hotlineName(item.hotline) })
        + (item.case_reference ? " · " + item.case_reference : "")));
      var read = el("button", "link", T.read);
      read.type = "button";
      read.addEventListener("click", function () { send({ type: "earlier", conversation: pane.id, open: item.conversation }); });
      li.appendChild(document.createTextNode(" "));
      li.appendChild(read);
      pane.earlierList.appendChild(li);
    });
  }

  function showEarlierHistory(pane, frame) {
    var log = pane.earlierLog;
    log.textContent = "";
    var date = new Date(frame.earlier.started_at).toLocaleDateString(lang === "en" ? "en-GB" : "vi-VN");
    log.setAttribute("aria-label", fmt(T.earlierOf, { date: date }));
    (frame.messages || []).forEach(function (message) {
      log.appendChild(bubble(message.sender, message.body, message.at, false));
    });
    log.hidden = false;
  }

  function showQuickExit(pane) {
    if (!pane.quickExit.hidden) return;
    pane.quickExit.hidden = false;
    pane.tab.classList.add("quick-exit");
    toast(fmt(T.quickExitToast, { who: describe(pane.info) }), "urgent");
  }

  // What the young person asked, and where it stands; the server decided (docs/protocol.md).
  function showDeletionRequest(pane, status) {
    var words = T.deletion[status];
    if (!words) return;
    pane.deletionBanner.textContent = words;
    pane.deletionBanner.hidden = false;
    // Deleted on the server: nothing of it stays on this screen either.
    if (status === "done") pane.log.textContent = "";
    toast(describe(pane.info) + ": " + words, "");
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

  /* ---- a file sent with a message (a young person's screenshot): blurred until asked ---- */
  // harms' addresses; the frame names the file by id only (docs/protocol.md).
  function attachmentUrl(id, part) { return "/harms/files/" + encodeURIComponent(id) + "/" + part + "/"; }
  function attachmentView(attachment) {
    var box = el("div", "attachment");
    box.dataset.attachment = attachment.id;
    // Blurred on the server, so nothing recognisable reaches the screen before the click.
    var thumb = el("img", "attachment-blurred");
    thumb.alt = T.attachmentBlurred;
    thumb.width = 160;
    thumb.height = 120;
    thumb.addEventListener("error", function () { box.replaceChild(el("p", "meta", T.attachmentGone), thumb); });
    thumb.src = attachmentUrl(attachment.id, "thumbnail");
    box.appendChild(thumb);
    var show = el("button", "attachment-show", T.attachmentShow);
    show.type = "button";
    show.addEventListener("click", function () { showAttachment(box, attachment.id, show); });
    box.appendChild(show);
    box.appendChild(el("span", "meta", " " + T.attachmentRecorded));
    return box;
  }
  function showAttachment(box, id, button) {
    button.disabled = true;
    // A POST: the server records who looked before it answers with the image.
    fetch(attachmentUrl(id, "content"), {
      method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": config.csrfToken },
    }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.blob();
    }).then(function (blob) {
      return new Promise(function (resolve, reject) {
        var reader = new FileReader();
        reader.onload = function () { resolve(reader.result); };
        reader.onerror = reject;
        reader.readAsDataURL(blob);
      });
    }).then(function (dataUrl) {
      var full = el("img", "attachment-full");
      full.alt = T.attachmentFull;
      full.style.maxWidth = "100%";
      full.src = dataUrl;
      var thumb = box.querySelector(".attachment-blurred");
      if (thumb) box.replaceChild(full, thumb); else box.insertBefore(full, box.firstChild);
      button.remove();
    }, function () {
      button.disabled = false;
      toast(T.attachmentFailed, "");
    });
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
    // A history read on (re)opening says how each platform reply went, so marks survive a reload
    // and a reconnect brings the news its socket missed, for messages already shown too.
    if (seq && message.delivery) onConnectorStatus(message.delivery, pane, seq, true);
    if (!seq || pane.seen[seq]) return;
    var follow = nearBottom(pane.log);
    var li = bubble(message.sender, message.body, message.at, false);
    if (message.attachment && message.attachment.id) li.appendChild(attachmentView(message.attachment));
    place(pane, li, seq);
    pane.seen[seq] = true;
    while (pane.seen[pane.contiguous + 1]) pane.contiguous += 1;
    if (pane.delivery[seq]) showDelivery(pane, seq);
    if (message.sender === "youth") {
      hideTyping(pane);
      if (selected !== pane.id || document.hidden) {
        pane.badge.textContent = T.unread;
        pane.badge.hidden = selected === pane.id && !document.hidden;
        if (pane.live) {
          chime();
          desktopNotice(fmt(T.newMessage, { who: pane.guest }));
          announce(fmt(T.newMessage, { who: pane.guest }));
        }
      }
      updateTitle();
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
    if (pane.channel === "sms") {
      // Stored and acknowledged; whether it left by SMS is telephony's news.
      setDelivery(pane, seq, "pending", "");
      showDelivery(pane, seq);
      refreshPhone(pane);
    }
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

  /* ---- browser softphone (Twilio Voice SDK, loaded only when a token is on offer) ---- */
  var phone = {
    box: $("softphone"), status: $("softphone-status"), callBox: $("softphone-call"),
    who: $("softphone-who"), state: $("softphone-state"), timer: $("softphone-timer"),
    answer: $("softphone-answer"), mute: $("softphone-mute"), hangup: $("softphone-hangup"),
    device: null, call: null, since: 0, retry: null,
  };

  function setSoftphone(state, detail) {
    phone.box.dataset.state = state;
    phone.status.textContent = T.softphone[state] + (detail ? " (" + detail + ")" : "");
  }

  function fetchVoiceToken() {
    return fetch(config.telephony.voiceToken, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 503) return null;
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      });
  }

  function loadSdk() {
    if (window.Twilio && window.Twilio.Device) return Promise.resolve(window.Twilio);
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = config.telephony.sdk;
      script.onload = function () { resolve(window.Twilio); };
      script.onerror = function () { reject(new Error("sdk")); };
      document.head.appendChild(script);
    });
  }

  function startSoftphone() {
    clearTimeout(phone.retry);
    setSoftphone("checking");
    fetchVoiceToken().then(function (grant) {
      // 503: this hotline takes calls on desk phones, or has no Twilio at all. Say so quietly.
      if (!grant) { setSoftphone("off"); return null; }
      setSoftphone("loading");
      return loadSdk().then(function (Twilio) { registerDevice(Twilio, grant.token); });
    }).catch(function (error) {
      setSoftphone("error", error && error.message);
      phone.retry = setTimeout(startSoftphone, 60000);
    });
  }

  function registerDevice(Twilio, token) {
    if (Twilio.Device.isSupported === false) { setSoftphone("unsupported"); return; }
    var device = new Twilio.Device(token, {
      closeProtection: true, codecPreferences: ["opus", "pcmu"], logLevel: "error", tokenRefreshMs: 120000,
    });
    phone.device = device;
    device.on("registered", function () { setSoftphone("ready"); });
    device.on("unregistered", function () { setSoftphone("offline"); });
    device.on("error", function (error) { setSoftphone("error", error && error.code); });
    device.on("incoming", onIncomingCall);
    device.on("tokenWillExpire", function () {
      fetchVoiceToken().then(function (grant) { if (grant) device.updateToken(grant.token); }, function () {});
    });
    device.register().catch(function (error) { setSoftphone("error", error && error.code); });
  }

  function onIncomingCall(call) {
    if (phone.call) { call.reject(); return; }
    phone.call = call;
    var conversation = call.customParameters && call.customParameters.get("conversation");
    var pane = conversation ? panes.get(conversation) : null;
    var who = pane ? describe(pane.info) : T.caller;
    if (pane) select(pane.id, false);
    phone.who.textContent = who;
    phone.state.textContent = T.incoming;
    phone.timer.textContent = "";
    phone.answer.hidden = false;
    phone.mute.hidden = true;
    phone.hangup.textContent = T.reject;
    phone.callBox.hidden = false;
    phone.box.classList.add("ringing");
    toast(fmt(T.incomingToast, { who: who }), "urgent");
    phone.answer.focus();
    call.on("accept", function () {
      phone.since = Date.now();
      phone.state.textContent = T.inCall;
      phone.answer.hidden = true;
      phone.mute.hidden = false;
      phone.hangup.textContent = T.hangup;
      phone.box.classList.remove("ringing");
      if (pane) refreshPhone(pane);
    });
    ["disconnect", "cancel", "reject", "error"].forEach(function (name) {
      call.on(name, function () { if (phone.call === call) endSoftphoneCall(); });
    });
  }

  function endSoftphoneCall() {
    phone.call = null;
    phone.since = 0;
    phone.callBox.hidden = true;
    phone.box.classList.remove("ringing");
    setMuted(false);
  }

  function setMuted(muted) {
    phone.mute.textContent = muted ? T.unmute : T.mute;
    phone.mute.setAttribute("aria-pressed", muted ? "true" : "false");
  }

  phone.answer.addEventListener("click", function () { if (phone.call) phone.call.accept(); });
  phone.hangup.addEventListener("click", function () {
    if (!phone.call) return;
    if (phone.since) phone.call.disconnect();
    else phone.call.reject();
  });
  phone.mute.addEventListener("click", function () {
    if (!phone.call) return;
    var muted = !phone.call.isMuted();
    phone.call.mute(muted);
    setMuted(muted);
  });

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
        // Watching again after a reconnect is a new, recorded monitoring session.
        if (pane.monitor) { send({ type: "monitor", conversation: pane.id }); return; }
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
        loadCallbacks();
        if (frame.supervisor && els.activePanel) {
          els.activePanel.hidden = false;
          send({ type: "active" });
        }
        if (frame.supervisor) monitorFromHash();
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
      case "monitoring":
        onMonitoring(frame);
        break;
      case "monitor_ended":
        if (pane && pane.monitor) {
          pane.monitor = false;
          closePane(pane.id);
          toast(T.monitorEnded, "");
        }
        break;
      case "monitored":
        if (pane) showMonitored(pane, frame);
        break;
      case "danger":
        if (pane) showDanger(pane, true);
        break;
      case "earlier":
        if (pane) showEarlier(pane, frame.items || []);
        break;
      case "earlier_history":
        if (pane) showEarlierHistory(pane, frame);
        break;
      case "active":
        renderActive(frame.items);
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
      case "deletion_requested":
        if (pane) showDeletionRequest(pane, frame.status);
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
        addNotice(escalationText(frame),
          frame["case"] ? { href: config.caseUrlTemplate.replace("/0/", "/" + frame["case"] + "/"), text: frame.reference } : null);
        break;
      case "call_error":
        if (pane) {
          showCallAlert(pane, frame.notice, true);
          refreshPhone(pane);
        }
        if (!pane || selected !== frame.conversation) toast(frame.notice || fmt(T.error, { detail: frame.code }), "urgent");
        break;
      case "call_status":
        if (pane) {
          showCallAlert(pane, frame.notice, false);
          refreshPhone(pane);
        } else if (frame.notice) {
          toast(frame.notice, "");
        }
        break;
      case "sms_status":
        onSmsStatus(frame, pane);
        break;
      case "connector_status":
        onConnectorStatus(frame, pane);
        break;
      case "callbacks":
        showCallbacks(frame);
        break;
      case "wrap_up_pending":
        renderWrapUps(frame.items);
        break;
      case "wrapped_up":
        onWrappedUp(frame);
        break;
      case "pong":
        break;
      default:
        if (typeof frame.notice === "string" && frame.notice) toast(frame.notice, "urgent", frame.url ? { href: frame.url, text: frame.url } : null);
        break;
    }
  }

  function onSmsStatus(frame, pane) {
    var failed = frame.status === "failed" || frame.status === "undelivered" || frame.status === "retrying";
    if (pane) setDelivery(pane, frame.seq, frame.status, failed ? frame.notice : "");
    if (failed && (!pane || selected !== pane.id)) {
      toast(frame.notice || fmt(T.smsFailedToast, { who: pane ? describe(pane.info) : "" }), "");
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
    // The history is read; from now on a youth message is news worth a sound.
    pane.live = true;
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

  /* ---- supervisors: watching a conversation, as a recorded action ---- */
  function renderActive(items) {
    els.activeList.textContent = "";
    (items || []).forEach(function (item) {
      var li = listItem(item);
      li.dataset.conversation = item.conversation;
      var meta = el("div", "qi-meta");
      meta.appendChild(el("span", null, item.operator));
      var since = Date.parse(item.answered_at);
      if (!isNaN(since)) meta.appendChild(el("span", null, fmt(T.answeredFor, { t: duration(Date.now() - since) })));
      li.appendChild(meta);
      var watch = el("button", "monitor-button", T.monitor);
      watch.type = "button";
      watch.setAttribute("aria-label", fmt(T.monitorLabel, { who: describe(item), op: item.operator }));
      watch.disabled = panes.has(item.conversation);
      watch.addEventListener("click", function () {
        watch.disabled = true;
        awaitingAccept = item.conversation;
        send({ type: "monitor", conversation: item.conversation });
      });
      li.appendChild(watch);
      els.activeList.appendChild(li);
    });
    els.activeEmpty.hidden = (items || []).length > 0;
  }

  // The supervisors' board links a conversation as /console/#monitor=<id>: watching it is the
  // same recorded "monitor" action as the button above, asked for once the console said hello.
  function monitorFromHash() {
    var match = /^#monitor=([0-9a-f-]{36})$/i.exec(location.hash);
    if (!match) return;
    history.replaceState(null, "", location.pathname + location.search);
    if (panes.has(match[1])) { select(match[1], false); return; }
    awaitingAccept = match[1];
    send({ type: "monitor", conversation: match[1] });
  }
  window.addEventListener("hashchange", function () { if (isOpen()) monitorFromHash(); });

  function onMonitoring(frame) {
    var pane = panes.get(frame.conversation);
    if (!pane) {
      pane = createPane(frame);
      pane.monitor = true;
      pane.node.classList.add("monitoring");
      pane.node.querySelector(".toolbar").hidden = true;
      pane.composer.hidden = true;
      pane.monitorBanner.textContent = T.monitoring;
      pane.monitorBanner.hidden = false;
      pane.endButton.dataset.label = T.stopMonitoring;
      pane.endButton.textContent = T.stopMonitoring;
      pane.endButton.classList.remove("danger");
    }
    applyInfo(pane, frame);
    (frame.messages || []).forEach(function (message) { addMessage(pane, message); });
    if (awaitingAccept === frame.conversation) {
      awaitingAccept = null;
      select(frame.conversation, false);
      pane.tab.focus();
    } else if (selected === null || !panes.get(selected)) {
      select(frame.conversation, false);
    }
    els.noChats.hidden = panes.size > 0;
  }

  function showMonitored(pane, frame) {
    pane.monitorBanner.textContent = fmt(frame.active ? T.monitoredBy : T.monitorStoppedBy, { who: frame.supervisor });
    pane.monitorBanner.hidden = false;
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
    if (code === "wrap_up_required") {
      toast(T.wrapUpNeeded, "urgent");
      enableAccepts();
      var first = document.querySelector("form.wrap-up select");
      if (first) first.focus();
      return;
    }
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
    if (frame.conversation) {
      var saves = document.querySelectorAll('form.wrap-up[data-conversation="' + frame.conversation + '"] button');
      Array.prototype.forEach.call(saves, function (button) { button.disabled = false; });
    }
    enableAccepts();
    toast(fmt(T.error, { detail: frame.detail || code }), "");
  }

  function enableAccepts() {
    awaitingAccept = null;
    var buttons = els.queue.querySelectorAll(".accept");
    for (var i = 0; i < buttons.length; i++) buttons[i].disabled = false;
  }

  if (els.activeRefresh) els.activeRefresh.addEventListener("click", function () { send({ type: "active" }); });
  els.noticesButton.addEventListener("click", function () {
    var open = els.noticesPanel.hidden;
    els.noticesPanel.hidden = !open;
    els.noticesButton.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {
      unreadNotices = 0;
      els.noticesBadge.hidden = true;
    }
  });
  document.addEventListener("visibilitychange", function () {
    if (document.hidden || !selected || !panes.get(selected)) return;
    panes.get(selected).badge.hidden = true;
    updateTitle();
  });
  setupToggles();
  els.presence.addEventListener("click", function () {
    send({ type: "presence", status: presence === "available" ? "away" : "available" });
  });
  window.addEventListener("online", function () { if (!socket && !stopped) connect(); });
  var ticks = 0;
  setInterval(function () {
    tickWaits();
    ticks += 1;
    if (phone.since) phone.timer.textContent = duration(Date.now() - phone.since);
    panes.forEach(function (pane) {
      if (pane.channel !== "voice") return;
      tickCall(pane);
      // Call progress (ringing, answered, hung up) comes from Twilio's callbacks, not the socket.
      if (ticks % 5 === 0 && pane.state === "active" && !(pane.call && pane.call.terminal)) refreshPhone(pane);
    });
  }, 1000);
  setPresence("away");
  els.presence.textContent = T.connecting;
  updateLoad();
  connect();
  startSoftphone();
})();
