/* Service worker of the help pages: network first, the saved copy when offline.
 *
 * Served by the view at /help/sw.js, which puts its settings in front of this file
 * (self.HANDBOOK_WORKER): the addresses to save at install and the current names of
 * the help pages' static files. Its scope is /help/, and within it only the public
 * pages and the help pages' own static files are ever saved. The staff pages under
 * /help/manage/, every other request, and every page outside /help/ (the chat above
 * all, which must never be served stale) go to the network untouched.
 */
"use strict";

var CONFIG = self.HANDBOOK_WORKER || null;
var CACHE_PREFIX = "handbook-";

function sameOrigin(url) {
  return url.origin === self.location.origin;
}

// A public help page: /help/, /help/en/, /help/<slug>/ or /help/en/<slug>/.
function isHelpPage(path) {
  if (path.indexOf(CONFIG.scope) !== 0) return false;
  if (path.indexOf(CONFIG.manage) === 0 || path === CONFIG.worker) return false;
  var rest = path.slice(CONFIG.scope.length);
  return /^(en\/)?([A-Za-z0-9_-]+\/)?$/.test(rest);
}

function isHelpAsset(path) {
  return path.indexOf(CONFIG.assets) === 0;
}

function shouldHandle(request) {
  if (!CONFIG || request.method !== "GET") return false;
  var url = new URL(request.url);
  if (!sameOrigin(url) || url.search) return false;
  return isHelpPage(url.pathname) || isHelpAsset(url.pathname);
}

function offlinePage(request) {
  var path = new URL(request.url).pathname;
  var english = path.indexOf(CONFIG.english) === 0;
  return CONFIG.offline[english ? "en" : "vi"];
}

function ignoreFailure() { return null; }

function networkFirst(event) {
  var request = event.request;
  return caches.open(CONFIG.cache).then(function (cache) {
    return fetch(request).then(
      function (response) {
        if (response.ok && response.type === "basic" && !response.redirected) {
          event.waitUntil(cache.put(request, response.clone()).catch(ignoreFailure));
        } else if (response.status === 404 || response.status === 410) {
          // A page taken down must not live on in the saved copies.
          event.waitUntil(cache.delete(request).catch(ignoreFailure));
        }
        return response;
      },
      function () {
        return cache.match(request, { ignoreVary: true }).then(function (saved) {
          if (saved) return saved;
          if (request.mode !== "navigate") return Response.error();
          return cache.match(offlinePage(request), { ignoreVary: true }).then(function (notice) {
            return notice || Response.error();
          });
        });
      }
    );
  });
}

self.addEventListener("install", function (event) {
  if (!CONFIG) return;
  event.waitUntil(
    caches.open(CONFIG.cache).then(function (cache) {
      // One missing file must not cost the reader every other offline copy.
      return Promise.all(CONFIG.precache.map(function (url) {
        return cache.add(url).catch(ignoreFailure);
      }));
    }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  if (!CONFIG) return;
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf(CACHE_PREFIX) === 0 && name !== CONFIG.cache;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

self.addEventListener("fetch", function (event) {
  if (shouldHandle(event.request)) event.respondWith(networkFirst(event));
});
