/* The youth chat inside a frame on an allowed site: loaded only by /chat/embed/ (connectors/embed.py).
 *
 * It runs before chat.js (deferred scripts run in order) and does two things:
 * - preselects the province the host site named (#province=01 in the frame's address; the
 *   fragment never reaches the server), so chat.js starts with it as if the young person chose it;
 * - passes the chat's quick exit (chat.js dispatches "helpline:quick-exit" on document) to the
 *   page around the frame, whose widget then replaces the whole tab (docs/protocol.md).
 *
 * Messages to the host carry nothing personal: "ready", and "quick-exit" with the configured
 * neutral address. They go to any parent ("*"): frame-ancestors already limits who the parent
 * can be, and a wrong target origin would silently drop a quick exit, which matters more.
 */
(function () {
  "use strict";

  var SOURCE = "helpline-chat";
  var embedded = window.parent !== window;

  function tell(message) {
    if (!embedded) return;
    message.source = SOURCE;
    try { window.parent.postMessage(message, "*"); } catch (e) { /* the host is gone */ }
  }

  function presetProvince() {
    var code = new URLSearchParams(location.hash.slice(1)).get("province") || "";
    var select = document.getElementById("province");
    if (!select || !/^[0-9]{2}$/.test(code)) return;
    if (select.querySelector('option[value="' + code + '"]')) select.value = code;
  }

  function quickExitUrl() {
    var config = {};
    try { config = JSON.parse(document.getElementById("chat-config").textContent); } catch (e) { /* default */ }
    try { return new URL(config.quickExitUrl || "/", location.href).href; } catch (e) { return ""; }
  }

  presetProvince();
  var exitUrl = quickExitUrl();
  // chat.js leaves the frame right after dispatching: the message must be posted synchronously.
  document.addEventListener("helpline:quick-exit", function () {
    tell({ type: "quick-exit", url: exitUrl });
  });
  tell({ type: "ready" });
})();
