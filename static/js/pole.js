// Pôle's only script: small behaviours that htmx attributes cannot express.
// No inline scripts anywhere, so the Content-Security-Policy can forbid them.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  // Every htmx request carries the CSRF token, including buttons outside a form.
  document.addEventListener("htmx:config:request", function (event) {
    var ctx = event.detail && event.detail.ctx;
    if (ctx && ctx.request && ctx.request.headers) {
      ctx.request.headers["X-CSRFToken"] = csrfToken();
    }
  });

  // Booking grids scroll inside their own box. Show the day from when the building opens
  // (or from an hour ago today), and keep the place when the same grid is refreshed.
  var gridPlaces = {};

  function placeGrid(grid, saved) {
    var box = grid.querySelector(".agenda-scroll");
    if (!box) return;
    if (saved && saved.view === grid.dataset.view) {
      box.scrollTop = saved.top;
      box.scrollLeft = saved.left;
      return;
    }
    var row = box.querySelector("tr.scroll-start");
    var head = box.querySelector("thead");
    if (row) box.scrollTop = row.offsetTop - (head ? head.offsetHeight : 0);
  }

  document.addEventListener("htmx:before:swap", function (event) {
    var target = event.detail && event.detail.ctx && event.detail.ctx.target;
    if (!target || !target.dataset || !target.dataset.view) return;
    var box = target.querySelector(".agenda-scroll");
    gridPlaces[target.id] = {
      view: target.dataset.view,
      top: box ? box.scrollTop : 0,
      left: box ? box.scrollLeft : 0,
    };
  });
  document.addEventListener("htmx:after:swap", function () {
    Object.keys(gridPlaces).forEach(function (id) {
      var grid = document.getElementById(id);
      if (grid) placeGrid(grid, gridPlaces[id]);
      delete gridPlaces[id];
    });
  });

  // "Fermer" on a form opened in place beside a grid: put the empty slot back and return to
  // the grid. Without script (or on the form's own page) it is a plain link.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-dismiss]");
    var panel = link && document.getElementById(link.dataset.dismiss);
    if (!panel || !panel.parentElement.classList.contains("agenda-layout")) return;
    event.preventDefault();
    var slot = document.createElement("div");
    slot.id = panel.id;
    slot.className = "booking-slot";
    panel.replaceWith(slot);
    var grid = document.querySelector(".agenda-layout .agenda-scroll");
    if (grid) grid.focus();
  });

  function placeAllGrids() {
    document.querySelectorAll("[data-view]").forEach(function (grid) {
      placeGrid(grid, null);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", placeAllGrids);
  } else {
    placeAllGrids();
  }
  // Escape closes the phone menu and gives focus back to its button.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var menu = document.querySelector("details.nav-menu[open]");
    if (!menu) return;
    menu.open = false;
    var button = menu.querySelector("summary");
    if (button) button.focus();
  });

  // After a swap, focus must not fall to <body>: when the element that had it is gone, move
  // it to what was just shown (its autofocus, its heading or title, or the region itself).
  var FOCUS_TARGETS = "[autofocus], [data-swap-focus], h1, h2, h3, h4, .slot-title, legend";

  // What had focus (or was tapped: Safari does not focus a tapped link) before a swap. Only a
  // swap that removed it moves focus: a grid refreshing itself leaves the reader where she is.
  var beforeSwap = [];
  document.addEventListener("htmx:before:swap", function (event) {
    var ctx = event.detail && event.detail.ctx;
    beforeSwap = [document.activeElement, ctx && ctx.sourceElement];
  });

  function reveal(el) {
    var box = el.getBoundingClientRect();
    if (box.top < 0 || box.top > window.innerHeight - 40) el.scrollIntoView({ block: "start" });
  }

  function focusSwapped(event) {
    var active = document.activeElement;
    if (active && active !== document.body && active.isConnected) {
      // htmx focuses what came with autofocus without scrolling: bring it into sight.
      if (active.hasAttribute("autofocus")) reveal(active);
      return;
    }
    var lost = beforeSwap.some(function (el) {
      return el && el !== document.body && el.nodeType === 1 && !el.isConnected;
    });
    if (!lost) return;
    // htmx 4 names what it just put in the page (newContent); else the element it fired on.
    var fresh = Array.prototype.slice.call((event.detail && event.detail.newContent) || []);
    fresh.push(event.target);
    var spot = null;
    for (var i = 0; i < fresh.length && !spot; i++) {
      var node = fresh[i];
      if (!node || node.nodeType !== 1 || !node.isConnected || node === document.body) continue;
      spot = node.matches(FOCUS_TARGETS) ? node : node.querySelector(FOCUS_TARGETS) || node;
    }
    if (!spot) return;
    if (!spot.matches("a[href], button, input, select, textarea, [tabindex]")) {
      spot.setAttribute("tabindex", "-1");
    }
    spot.focus();
  }
  document.addEventListener("htmx:after:settle", focusSwapped);

  // Copy buttons (feed links): <button data-copy="#field" hidden> copies the field's text.
  // The field itself stays visible and selectable, so the link works without JavaScript.
  function revealCopyButtons() {
    document.querySelectorAll("[data-copy][hidden]").forEach(function (button) {
      button.hidden = false;
    });
  }
  document.addEventListener("DOMContentLoaded", revealCopyButtons);
  document.addEventListener("htmx:after:settle", revealCopyButtons);

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) {
      return;
    }
    var field = document.querySelector(button.getAttribute("data-copy"));
    if (!field) {
      return;
    }
    var text = field.value || field.textContent;
    var status = button.parentNode.querySelector("[data-copy-status]");
    function say(message) {
      if (status) {
        status.textContent = message;
      }
    }
    function copyBySelection() {
      field.focus();
      field.select();
      var copied = false;
      try {
        copied = document.execCommand("copy");
      } catch (error) {
        copied = false;
      }
      say(copied ? "Lien copié." : "Lien sélectionné : copiez-le (Ctrl+C ou appui long).");
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () {
        say("Lien copié.");
      }, copyBySelection);
    } else {
      copyBySelection();
    }
  });
})();
