/* Youth chat: the texts the scripts write while the page is open, Vietnamese first, the words
 * passphrases are suggested from, and the helpers that put text on screen. The page's fixed
 * texts come from the server (helpline.pages.CHAT_TEXT) in the "chat-text" table instead.
 */
(function () {
  "use strict";

  var chat = window.helplineChat = window.helplineChat || {};

  chat.STRINGS = {
    vi: {
      connecting: "Đang kết nối…",
      offline: "Mất kết nối. Tin nhắn của bạn sẽ được gửi khi có mạng.",
      offlineWelcome: "Mất kết nối. Trang sẽ tự kết nối lại khi có mạng.",
      reconnecting: "Đang thử kết nối lại…",
      retryNow: "Gửi lại ngay",
      urgentShort: "Cần giúp gấp? Gọi 111 hoặc 113.",
      hotlineCentral: "Tổng đài trung ương",
      hotlineOf: "Tổng đài {name}",
      openAlways: "{hotline} mở cả ngày lẫn đêm.",
      openNow: "{hotline} đang mở ({opens}–{closes}).",
      closedNow: "{hotline} đang đóng cửa. Giờ mở cửa: {opens}–{closes}.",
      staffed: "Đang có tư vấn viên trực tuyến.",
      staffedByCentral: "Tư vấn viên của tổng đài trung ương đang trực và sẽ trả lời bạn.",
      notStaffed: "Lúc này chưa có tư vấn viên nào trực tuyến.",
      waitUnderMinute: "Thường phải chờ dưới 1 phút.",
      waitUnder: "Thường phải chờ dưới {high} phút.",
      waitAbout: "Thường phải chờ khoảng {n} phút.",
      waitRange: "Thường phải chờ khoảng {low}–{high} phút.",
      waitUnknown: "Phải chờ bao lâu thì chúng tôi chưa thể nói trước được.",
      statusUnknown: "Chưa xem được có tư vấn viên nào trực không.",
      queueFirstStaffed: "Bạn là người tiếp theo. Một tư vấn viên sẽ trả lời sớm.",
      queueFirst: "Bạn là người tiếp theo.",
      queuePosition: "Bạn đang ở vị trí số {n} trong hàng chờ.",
      queueHint: "Hãy giữ trang này mở. Bạn có thể viết trước điều bạn muốn nói.",
      waiting: "Đang chờ tư vấn viên…",
      messageWaiting: "Lời nhắn của bạn đang chờ tư vấn viên đọc. Bạn không cần giữ trang này mở.",
      active: "Tư vấn viên đang trò chuyện với bạn.",
      joined: "Một tư vấn viên đã tham gia cuộc trò chuyện.",
      transferred: "Bạn đang được chuyển tới một tổng đài khác, tin nhắn của bạn được chuyển theo.",
      ended: "Cuộc trò chuyện đã kết thúc.",
      you: "Bạn",
      operator: "Tư vấn viên",
      system: "Hệ thống",
      sending: "đang gửi…",
      sent: "đã gửi",
      unsent: "chưa gửi được",
      dangerCall: "Nếu bạn đang gặp nguy hiểm ngay lúc này, hãy gọi 113 (Công an) hoặc 111 (bảo vệ trẻ em).",
      dangerTelling: "Đang báo cho tư vấn viên…",
      dangerTold: "Tư vấn viên đã được báo. Bạn sẽ được trả lời trước tiên.",
      dangerToldNobody: "Chúng tôi đã ghi nhận, nhưng lúc này chưa có tư vấn viên trực tuyến. Hãy gọi 113 hoặc 111 ngay.",
      leaveOpensAt: "Tổng đài mở cửa lúc {opens} (giờ Việt Nam). Hãy quay lại sau giờ đó với cụm mật khẩu để đọc câu trả lời.",
      leaveOpenUntil: "Tổng đài mở đến {closes}. Tư vấn viên sẽ đọc lời nhắn khi có người trực; hãy quay lại sau với cụm mật khẩu.",
      leaveAlways: "Tổng đài mở cả ngày lẫn đêm. Tư vấn viên sẽ đọc lời nhắn khi có người trực; hãy quay lại sau với cụm mật khẩu.",
      passphraseSaved: "Đã lưu. Khi quay lại, bấm “Tôi đã để lại lời nhắn / đã từng trò chuyện” và nhập cụm mật khẩu này.",
      passphraseShort: "Cụm mật khẩu cần ít nhất 3 từ và 12 ký tự.",
      returningSeen: "Tư vấn viên có thể xem lại các lần trước bạn đã trò chuyện.",
      returningUnknown: "Không tìm thấy cụm mật khẩu này, nên tư vấn viên không thấy các lần trước. Bạn vẫn trò chuyện bình thường.",
      surveyThanks: "Cảm ơn bạn đã trả lời!",
      surveyEmpty: "Hãy chọn ít nhất một câu trả lời, hoặc bỏ qua phần này.",
      callbackSending: "Đang gửi…",
      callbackFailed: "Không gửi được yêu cầu. Hãy kiểm tra mạng rồi thử lại.",
      callbackPick: "Hãy chọn giờ.",
      tooFast: "Bạn gửi hơi nhanh. Chờ một chút rồi thử lại nhé.",
      tooLong: "Tin nhắn quá dài. Hãy chia thành nhiều tin ngắn hơn.",
      lost: "Không tìm thấy cuộc trò chuyện trước (có thể đã hết hạn). Bạn có thể bắt đầu cuộc mới.",
      tooMany: "Có quá nhiều cuộc trò chuyện đang mở từ mạng này. Hãy kết thúc một cuộc rồi thử lại.",
      failed: "Có lỗi xảy ra: {detail}",
    },
    en: {
      connecting: "Connecting…",
      offline: "Connection lost. Your messages will be sent when you are back online.",
      offlineWelcome: "Connection lost. The page will reconnect by itself when you are back online.",
      reconnecting: "Trying to reconnect…",
      retryNow: "Try again now",
      urgentShort: "Need help urgently? Call 111 or 113.",
      hotlineCentral: "The central hotline",
      hotlineOf: "The hotline of {name}",
      openAlways: "{hotline} is open day and night.",
      openNow: "{hotline} is open now ({opens}–{closes}).",
      closedNow: "{hotline} is closed now. Opening hours: {opens}–{closes}.",
      staffed: "A counsellor is online now.",
      staffedByCentral: "Counsellors of the central hotline are on duty and will answer you.",
      notStaffed: "No counsellor is online right now.",
      waitUnderMinute: "The wait is usually under 1 minute.",
      waitUnder: "The wait is usually under {high} minutes.",
      waitAbout: "The wait is usually about {n} minutes.",
      waitRange: "The wait is usually about {low}–{high} minutes.",
      waitUnknown: "We cannot tell yet how long the wait will be.",
      statusUnknown: "We could not check yet whether a counsellor is online.",
      queueFirstStaffed: "You are next. A counsellor will answer soon.",
      queueFirst: "You are next.",
      queuePosition: "You are number {n} in the queue.",
      queueHint: "Please keep this page open. You can start writing what you want to say.",
      waiting: "Waiting for a counsellor…",
      messageWaiting: "Your message is waiting for a counsellor to read it. You do not need to keep this page open.",
      active: "A counsellor is talking with you.",
      joined: "A counsellor has joined the conversation.",
      transferred: "You are being transferred to another hotline; your messages go with you.",
      ended: "The conversation has ended.",
      you: "You",
      operator: "Counsellor",
      system: "System",
      sending: "sending…",
      sent: "sent",
      unsent: "not sent yet",
      dangerCall: "If you are in danger right now, call 113 (police) or 111 (child protection).",
      dangerTelling: "Telling the counsellor…",
      dangerTold: "The counsellor has been told. You will be answered first.",
      dangerToldNobody: "We have noted it, but no counsellor is online right now. Call 113 or 111 now.",
      leaveOpensAt: "The hotline opens at {opens} (Vietnam time). Come back after that with your passphrase to read the answer.",
      leaveOpenUntil: "The hotline is open until {closes}. A counsellor will read your message when someone is on duty; come back later with your passphrase.",
      leaveAlways: "The hotline is open day and night. A counsellor will read your message when someone is on duty; come back later with your passphrase.",
      passphraseSaved: "Saved. When you come back, tap “I left a message / I have chatted before” and type this passphrase.",
      passphraseShort: "A passphrase needs at least 3 words and 12 characters.",
      returningSeen: "The counsellor can see your earlier conversations.",
      returningUnknown: "This passphrase was not found, so the counsellor cannot see earlier conversations. You can still chat as usual.",
      surveyThanks: "Thank you for answering!",
      surveyEmpty: "Choose at least one answer, or skip this part.",
      callbackSending: "Sending…",
      callbackFailed: "The request could not be sent. Check your connection and try again.",
      callbackPick: "Choose a time.",
      tooFast: "You are sending a bit fast. Wait a moment and try again.",
      tooLong: "The message is too long. Please split it into shorter ones.",
      lost: "The earlier conversation could not be found (it may have expired). You can start a new one.",
      tooMany: "Too many conversations are open from this network. End one and try again.",
      failed: "Something went wrong: {detail}",
    },
  };

  // Simple, friendly Vietnamese words for suggested passphrases: about 150, so four
  // drawn at random give about 29 bits. The server hashes the passphrase slowly and
  // allows a network 10 wrong tries an hour, which is what keeps guessing out.
  chat.PASSPHRASE_WORDS = (
    "mèo chó gà vịt cá chim voi hổ gấu thỏ ngựa trâu bò dê cua tôm ong bướm rùa khỉ sóc nai cò cú " +
    "xanh đỏ vàng tím hồng trắng nâu cam bạc " +
    "mây mưa gió nắng trăng sao biển sông núi rừng hoa lá cây cỏ cát sóng suối hồ đồi đảo " +
    "táo chuối xoài dưa nho mít bưởi ổi chè bánh cơm phở xôi kẹo sữa trà ngô khoai đậu me " +
    "sách bút ghế bàn đèn xe thuyền diều bóng mũ áo giày túi gương đàn trống chuông nhà cửa cầu " +
    "vở thước quạt nón khăn gối chăn cốc thìa đũa ấm nồi " +
    "sáng trưa chiều tối xuân hạ thu đông " +
    "ăn chạy bay bơi hát múa cười đi nhảy đọc vẽ viết " +
    "vui nhỏ to cao xa gần mới mát nhanh chậm tròn thơm ngọt hiền ngoan xinh " +
    "ba bốn năm sáu bảy tám chín mười trăm nghìn"
  ).split(" ");

  chat.fmt = function (text, values) {
    return text.replace(/\{(\w+)\}/g, function (_, key) { return String(values[key]); });
  };

  // The emergency numbers: wherever a text names one, a tap dials it. helpline.pages
  // links the same numbers in the texts the server renders (EMERGENCY_NUMBER there).
  var EMERGENCY_NUMBER = /\b(111|113)\b/;

  // Always as text, never as markup: the numbers become links, the rest text nodes.
  chat.setLinkedText = function (element, text) {
    element.textContent = "";
    String(text).split(EMERGENCY_NUMBER).forEach(function (piece, index) {
      if (index % 2 === 1) {
        var link = document.createElement("a");
        link.href = "tel:" + piece;
        link.textContent = piece;
        element.appendChild(link);
      } else if (piece) {
        element.appendChild(document.createTextNode(piece));
      }
    });
  };

  // Paragraphs of linked text, for the notices and errors the scripts build.
  chat.linkedParagraphs = function (element, lines) {
    element.textContent = "";
    lines.forEach(function (line) {
      var p = document.createElement("p");
      chat.setLinkedText(p, line);
      element.appendChild(p);
    });
  };

  // Four different words drawn with the browser's cryptographic generator, never stored
  // by the page: the young person keeps or changes them, and they leave only inside
  // the passphrase frame.
  chat.suggestPassphrase = function () {
    var words = chat.PASSPHRASE_WORDS;
    var limit = Math.floor(0x100000000 / words.length) * words.length;
    var chosen = [];
    var draw = new Uint32Array(1);
    while (chosen.length < 4) {
      crypto.getRandomValues(draw);
      if (draw[0] >= limit) continue; // rejection keeps every word equally likely
      var word = words[draw[0] % words.length];
      if (chosen.indexOf(word) === -1) chosen.push(word);
    }
    var phrase = chosen.join(" ");
    return phrase.length >= 12 ? phrase : chat.suggestPassphrase();
  };

  // What a status frame means for the young person, line by line: the hours, whether
  // anyone is there, and the wait as the server's range. provinceName is "" for central.
  chat.availabilityLines = function (T, status, provinceName) {
    var fmt = chat.fmt;
    var hotline = provinceName ? fmt(T.hotlineOf, { name: provinceName }) : T.hotlineCentral;
    var hours = status.hours || {};
    var lines = [];
    if (hours.always) lines.push(fmt(T.openAlways, { hotline: hotline }));
    else lines.push(fmt(status.open ? T.openNow : T.closedNow, { hotline: hotline, opens: hours.opens, closes: hours.closes }));
    if (!status.staffed) lines.push(T.notStaffed);
    else lines.push(status.open ? T.staffed : T.staffedByCentral);
    lines.push(chat.waitLine(T, status.wait));
    return lines;
  };

  // The server's range (seconds), in the whole minutes it was rounded to; null: unknown.
  chat.waitLine = function (T, wait) {
    var fmt = chat.fmt;
    if (!wait) return T.waitUnknown;
    if (wait.high < 60) return T.waitUnderMinute;
    var low = Math.floor(wait.low / 60);
    var high = Math.ceil(wait.high / 60);
    if (low === 0) return fmt(T.waitUnder, { high: high });
    if (low === high) return fmt(T.waitAbout, { n: low });
    return fmt(T.waitRange, { low: low, high: high });
  };

  // When a left message will be read: the hotline's hours, said plainly.
  chat.leaveHoursLine = function (T, status) {
    var hours = status.hours;
    if (hours.always) return T.leaveAlways;
    if (status.open) return chat.fmt(T.leaveOpenUntil, { closes: hours.closes });
    return chat.fmt(T.leaveOpensAt, { opens: hours.opens });
  };

  // The server's rule (helpline.returning): at least 3 words and 12 characters.
  chat.passphraseNormal = function (text) {
    return String(text).normalize("NFC").trim().split(/\s+/).join(" ");
  };
  chat.passphraseLongEnough = function (text) {
    var normal = chat.passphraseNormal(text);
    return normal.length >= 12 && normal.split(" ").length >= 3;
  };
})();
