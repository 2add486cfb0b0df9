/* Youth chat: asking the helpline to delete this conversation. Plain ES2017; chat.js wires it in.
 *
 * The request is the socket frame {"type":"delete_request"} (docs/protocol.md); the answer,
 * delete_status, carries the server's own plain words in the page's language, which the page
 * shows as they are. One DeletionRequest per place on the page that offers it (during the chat
 * and on the end screen): each asks first, since a deletion cannot be undone.
 */
(function () {
  "use strict";

  var chat = window.helplineChat;

  // root holds .delete-ask, .delete-confirm (with .delete-yes and .delete-no) and .delete-result.
  // options: request() -> false when there is no conversation to ask about any more;
  // text(key) -> the page's text; done() -> called once the conversation is deleted.
  function DeletionRequest(root, options) {
    this.root = root;
    this.options = options;
    this.ask = root.querySelector(".delete-ask");
    this.confirm = root.querySelector(".delete-confirm");
    this.result = root.querySelector(".delete-result");
    var self = this;
    this.ask.addEventListener("click", function () {
      self.ask.hidden = true;
      self.confirm.hidden = false;
      self.confirm.querySelector(".delete-no").focus();
    });
    root.querySelector(".delete-no").addEventListener("click", function () {
      self.confirm.hidden = true;
      self.ask.hidden = false;
      self.ask.focus();
    });
    root.querySelector(".delete-yes").addEventListener("click", function () { self.send(); });
  }

  DeletionRequest.prototype.send = function () {
    this.confirm.hidden = true;
    if (this.options.request() === false) {
      this.result.textContent = this.options.text("deleteUnavailable");
      this.ask.hidden = false;
      return;
    }
    DeletionRequest.asking = this;
    this.result.textContent = this.options.text("deleteSending");
  };

  // The server's answer; it goes to the place that asked (or the first one, after a reload).
  DeletionRequest.prototype.show = function (frame) {
    this.result.textContent = frame.detail || "";
    if (frame.status === "done") {
      this.ask.hidden = true;
      this.options.done();
    } else {
      this.ask.hidden = false;
    }
  };

  DeletionRequest.prototype.reset = function () {
    this.ask.hidden = false;
    this.confirm.hidden = true;
    this.result.textContent = "";
  };

  DeletionRequest.asking = null;
  chat.DeletionRequest = DeletionRequest;
})();
