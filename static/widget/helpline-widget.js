/* The helpline's chat on another site: one <script> tag, no other code, nothing from third parties.
 *
 *   <script src="https://<helpline>/static/widget/helpline-widget.js" data-province="01" defer></script>
 *
 * It adds a button that opens the youth chat (/chat/embed/ of the helpline that served this file)
 * in a panel. Until the button is pressed nothing is loaded from the helpline. Everything it draws
 * lives in a shadow root styled by a constructed stylesheet: no style attributes, no
 * <style> element, so a host with a strict Content-Security-Policy needs only to allow this
 * script and the frame (docs/protocol.md, "The embeddable widget").
 *
 * data-province (a province code, optional) preselects the young person's province; it travels
 * in the frame address's fragment, which no server sees. data-language="en" shows the button in
 * English; Vietnamese otherwise.
 *
 * The frame speaks first ("ready"); its "quick-exit" replaces the whole tab with the neutral page
 * the helpline configured, at once, as the chat itself does. A frame that never says "ready" was
 * refused (this site is not among the helpline's allowed origins) or could not load: the panel
 * then offers the chat in a new tab instead.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.helplineWidgetLoaded) return;
  window.helplineWidgetLoaded = true;

  var SOURCE = "helpline-chat";
  var READY_GRACE_MS = 4000;
  var helpline = new URL(script.src, location.href);
  var ORIGIN = helpline.origin;
  var province = /^[0-9]{2}$/.test(script.getAttribute("data-province") || "") ? script.getAttribute("data-province") : "";
  var language = (script.getAttribute("data-language") || "").slice(0, 2) === "en" ? "en" : "vi";

  var TEXTS = {
    vi: {
      open: "Trò chuyện với tổng đài",
      title: "Tổng đài hỗ trợ thanh thiếu nhi",
      minimise: "Thu nhỏ khung trò chuyện",
      frame: "Trò chuyện với tổng đài hỗ trợ thanh thiếu nhi",
      loading: "Đang mở khung trò chuyện…",
      refused: "Không mở được khung trò chuyện trên trang này.",
      newTab: "Mở trang trò chuyện của tổng đài",
    },
    en: {
      open: "Chat with the helpline",
      title: "Youth support helpline",
      minimise: "Minimise the chat",
      frame: "Chat with the youth support helpline",
      loading: "Opening the chat…",
      refused: "The chat cannot open on this page.",
      newTab: "Open the helpline's chat page",
    },
  };
  var T = TEXTS[language];

  var CSS = [
    ":host { all: initial; }",
    ".launcher { position: fixed; right: 16px; bottom: 16px; z-index: 2147483646; min-height: 48px;",
    "  padding: 12px 18px; border: 0; border-radius: 24px; background: #0b5cad; color: #fff;",
    "  font: 600 16px/1.2 system-ui, sans-serif; box-shadow: 0 4px 14px rgba(0,0,0,.25); cursor: pointer; }",
    ".launcher:focus-visible, .close:focus-visible, a:focus-visible { outline: 3px solid #f5b400; outline-offset: 2px; }",
    ".panel { position: fixed; right: 16px; bottom: 16px; z-index: 2147483647; display: flex;",
    "  flex-direction: column; width: 380px; height: 620px; max-width: calc(100vw - 32px);",
    "  max-height: calc(100vh - 32px); background: #fff; border-radius: 12px; overflow: hidden;",
    "  box-shadow: 0 8px 30px rgba(0,0,0,.3); font: 15px/1.4 system-ui, sans-serif; color: #172033; }",
    ".panel[hidden], .launcher[hidden], .notice[hidden] { display: none; }",
    "@media (max-width: 480px) { .panel { right: 0; bottom: 0; width: 100vw; height: 100%;",
    "  max-width: none; max-height: none; border-radius: 0; } }",
    ".head { display: flex; align-items: center; justify-content: space-between; gap: 8px;",
    "  padding: 6px 8px 6px 14px; background: #12335b; color: #fff; }",
    ".head h2 { margin: 0; font-size: 15px; font-weight: 600; }",
    ".close { min-width: 44px; min-height: 44px; border: 0; background: transparent; color: #fff;",
    "  font-size: 22px; line-height: 1; cursor: pointer; }",
    ".notice { margin: 16px; }",
    "iframe { flex: 1; width: 100%; border: 0; }",
    "a { color: #0b5cad; }",
  ].join("\n");

  var hostElement = document.createElement("div");
  hostElement.setAttribute("data-helpline-widget", "");
  var root = hostElement.attachShadow({ mode: "open" });
  if (window.CSSStyleSheet && "adoptedStyleSheets" in root) {
    // A constructed stylesheet is not an inline style: a strict style-src leaves it alone.
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  var launcher = el("button", "launcher", T.open);
  launcher.type = "button";
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", "helpline-panel");

  var panel = el("section", "panel");
  panel.id = "helpline-panel";
  panel.hidden = true;
  panel.setAttribute("aria-label", T.title);
  var head = el("div", "head");
  head.appendChild(el("h2", null, T.title));
  var close = el("button", "close", "\u2013");
  close.type = "button";
  close.setAttribute("aria-label", T.minimise);
  head.appendChild(close);
  var notice = el("p", "notice", T.loading);
  notice.setAttribute("role", "status");
  panel.appendChild(head);
  panel.appendChild(notice);
  root.appendChild(launcher);
  root.appendChild(panel);

  var frame = null;
  var ready = false;

  function chatAddress(path) {
    return ORIGIN + path + (province ? "#province=" + province : "");
  }

  function showRefused() {
    if (ready) return;
    notice.textContent = T.refused + " ";
    var link = el("a", null, T.newTab);
    link.href = chatAddress("/chat/");
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    notice.appendChild(link);
    notice.hidden = false;
    if (frame) frame.hidden = true;
  }

  function openPanel() {
    if (!frame) {
      frame = el("iframe");
      frame.title = T.frame;
      frame.referrerPolicy = "no-referrer";
      frame.addEventListener("load", function () { setTimeout(showRefused, READY_GRACE_MS); });
      frame.src = chatAddress("/chat/embed/");
      panel.appendChild(frame);
    }
    panel.hidden = false;
    launcher.hidden = true;
    launcher.setAttribute("aria-expanded", "true");
    close.focus();
  }

  function minimise() {
    // The chat keeps running in its frame; the button brings it back.
    panel.hidden = true;
    launcher.hidden = false;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }

  function leave(url) {
    var target = null;
    try { target = new URL(url, ORIGIN); } catch (e) { target = null; }
    if (!target || (target.protocol !== "https:" && target.protocol !== "http:")) target = new URL("/", ORIGIN);
    // Leave at once, from the top of the tab: whoever is coming must find another page.
    if (frame) frame.remove();
    try {
      window.top.location.replace(target.href);
    } catch (e) {
      location.replace(target.href);
    }
  }

  window.addEventListener("message", function (event) {
    if (!frame || event.source !== frame.contentWindow || event.origin !== ORIGIN) return;
    var data = event.data;
    if (!data || typeof data !== "object" || data.source !== SOURCE) return;
    if (data.type === "ready") {
      ready = true;
      notice.hidden = true;
      frame.hidden = false;
    } else if (data.type === "quick-exit") {
      leave(data.url);
    }
  });

  launcher.addEventListener("click", openPanel);
  close.addEventListener("click", minimise);

  function attach() { document.body.appendChild(hostElement); }
  if (document.body) attach();
  else document.addEventListener("DOMContentLoaded", attach);
})();
