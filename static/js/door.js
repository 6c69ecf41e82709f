// The door display refreshes itself: every minute it fetches its page again and, if the
// network answered, puts the new content in place (a lost connection keeps the last one).
(function () {
  "use strict";
  var seconds = parseInt(document.body.dataset.refresh || "60", 10);

  function refresh() {
    fetch(window.location.href, { cache: "no-store", credentials: "omit" })
      .then(function (response) {
        if (response.status === 404) {
          window.location.reload(); // the link was revoked: say so
          return null;
        }
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("door");
        var shown = document.getElementById("door");
        if (fresh && shown) shown.replaceWith(fresh);
      })
      .catch(function () {})
      .then(function () {
        window.setTimeout(refresh, seconds * 1000);
      });
  }

  window.setTimeout(refresh, seconds * 1000);
})();
