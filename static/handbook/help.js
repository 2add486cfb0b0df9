/* Help pages for young people. Plain ES2017, no dependencies, no text of its own.
 *
 * - registers the service worker that keeps the pages a reader opened for offline reading;
 * - quick exit (the button, or Esc twice) blanks the page, deletes those saved pages and
 *   replaces this history entry with a neutral site; the button is a plain link, so it
 *   still leaves when this script cannot run;
 * - says so when the reader is offline and reading a saved copy.
 */
(function () {
  "use strict";

  var CACHE_PREFIX = "handbook-";
  var LEAVE_WITHIN_MS = 250;
  var exit = document.getElementById("quick-exit");
  var offlineBanner = document.getElementById("offline-banner");
  var destination = exit.href;

  function deleteSavedPages() {
    if (!("caches" in window)) return Promise.resolve();
    return caches.keys().then(function (names) {
      return Promise.all(
        names
          .filter(function (name) { return name.indexOf(CACHE_PREFIX) === 0; })
          .map(function (name) { return caches.delete(name); })
      );
    });
  }

  var leaving = false;
  function quickExit(event) {
    if (event) event.preventDefault();
    if (leaving) return;
    leaving = true;
    document.title = "";
    document.body.textContent = "";
    function leave() { location.replace(destination); }
    // Leaving matters more than tidying: never wait longer than a blink for the deletion.
    var timer = setTimeout(leave, LEAVE_WITHIN_MS);
    deleteSavedPages().then(
      function () { clearTimeout(timer); leave(); },
      function () { clearTimeout(timer); leave(); }
    );
  }

  var lastEscape = 0;
  function onKey(event) {
    if (event.key !== "Escape") return;
    var now = Date.now();
    if (now - lastEscape < 1500) quickExit();
    lastEscape = now;
  }

  function showConnection() {
    offlineBanner.hidden = navigator.onLine !== false;
  }

  exit.addEventListener("click", quickExit);
  document.addEventListener("keydown", onKey);
  window.addEventListener("online", showConnection);
  window.addEventListener("offline", showConnection);
  showConnection();

  var worker = document.body.getAttribute("data-worker");
  if (worker && "serviceWorker" in navigator) {
    navigator.serviceWorker
      .register(worker, { scope: document.body.getAttribute("data-worker-scope") })
      .catch(function () { /* no offline copies; the pages still work online */ });
  }
})();
