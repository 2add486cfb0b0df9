/* Help pages for young people. Plain ES2017, no dependencies, no text of its own.
 *
 * Quick exit (the button, or Esc twice) blanks the page and replaces this history
 * entry with a neutral site. The button is a plain link, so it still leaves when
 * this script cannot run.
 */
(function () {
  "use strict";

  var exit = document.getElementById("quick-exit");
  var destination = exit.href;

  var leaving = false;
  function quickExit(event) {
    if (event) event.preventDefault();
    if (leaving) return;
    leaving = true;
    document.title = "";
    document.body.textContent = "";
    location.replace(destination);
  }

  var lastEscape = 0;
  function onKey(event) {
    if (event.key !== "Escape") return;
    var now = Date.now();
    if (now - lastEscape < 1500) quickExit();
    lastEscape = now;
  }

  exit.addEventListener("click", quickExit);
  document.addEventListener("keydown", onKey);
})();
