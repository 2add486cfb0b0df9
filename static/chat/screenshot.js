/* Youth chat: sending a screenshot. Plain ES2017; chat.js wires it in.
 *
 * The image goes by HTTP (POST /chat/upload/, docs/protocol.md "Screenshots from the chat"),
 * since a socket frame is at most 16 KiB: the token in a header, never the URL, and a
 * client_id so that sending again is safe. The answer is an ack like a message's, with its
 * seq; the log shows the image as the server's "[ảnh]" message. Before any file is chosen
 * the page says plainly not to send nude images.
 */
(function () {
  "use strict";

  var chat = window.helplineChat;
  var UPLOAD_URL = "/chat/upload/";

  function uuid4() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // options: token() -> the conversation's token or null; language() -> "vi"|"en";
  // text(key) -> the page's text; onAck(frame); onError(message).
  function Screenshot(elements, options) {
    this.els = elements;
    this.options = options;
    var self = this;
    elements.open.addEventListener("click", function () {
      elements.panel.hidden = false;
      elements.choose.focus();
    });
    elements.cancel.addEventListener("click", function () { self.close(); });
    elements.choose.addEventListener("click", function () { elements.file.click(); });
    elements.file.addEventListener("change", function () {
      var file = elements.file.files && elements.file.files[0];
      elements.file.value = "";
      if (file) self.send(file);
    });
  }

  Screenshot.prototype.close = function () {
    this.els.panel.hidden = true;
    this.els.result.textContent = "";
    this.els.open.focus();
  };

  Screenshot.prototype.send = function (file) {
    var self = this, token = this.options.token();
    if (!token) return;
    var form = new FormData();
    form.append("client_id", uuid4());
    form.append("file", file);
    this.els.result.textContent = this.options.text("screenshotSending");
    fetch(UPLOAD_URL, {
      method: "POST",
      credentials: "omit",
      headers: { "X-Chat-Token": token, "X-Chat-Language": this.options.language() },
      body: form,
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.status === 200 || response.status === 201) {
          self.els.result.textContent = "";
          self.els.panel.hidden = true;
          self.options.onAck(data);
          return;
        }
        self.els.result.textContent = data.message || self.options.text("screenshotFailed");
      });
    }, function () {
      self.els.result.textContent = self.options.text("screenshotFailed");
    });
  };

  chat.Screenshot = Screenshot;
})();
