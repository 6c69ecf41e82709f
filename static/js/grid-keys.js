// The booking grids from the keyboard: one Tab stop into the grid, then arrow keys move from
// cell to cell (a roving tabindex). Without this script every link is a Tab stop, as before.
(function () {
  "use strict";

  var KEYS = {
    ArrowUp: [-1, 0],
    ArrowDown: [1, 0],
    ArrowLeft: [0, -1],
    ArrowRight: [0, 1],
  };

  // The table as a matrix of body cells, rowspans and colspans spread over their slots.
  function matrix(table) {
    var rows = table.tBodies[0] ? table.tBodies[0].rows : [];
    var grid = [];
    for (var r = 0; r < rows.length; r++) {
      grid[r] = grid[r] || [];
      var c = 0;
      for (var i = 0; i < rows[r].cells.length; i++) {
        var cell = rows[r].cells[i];
        while (grid[r][c]) c++;
        for (var dr = 0; dr < cell.rowSpan; dr++) {
          grid[r + dr] = grid[r + dr] || [];
          for (var dc = 0; dc < cell.colSpan; dc++) grid[r + dr][c + dc] = cell;
        }
        c += cell.colSpan;
      }
    }
    return grid;
  }

  function linkOf(cell) {
    return cell && cell.tagName === "TD" ? cell.querySelector("a") : null;
  }

  function place(grid, cell) {
    for (var r = 0; r < grid.length; r++) {
      var c = grid[r].indexOf(cell);
      if (c >= 0) return [r, c];
    }
    return null;
  }

  function step(grid, cell, move) {
    var at = place(grid, cell);
    if (!at) return null;
    var r = at[0];
    var c = at[1];
    if (move[0] > 0) r += cell.rowSpan - 1;
    if (move[1] > 0) c += cell.colSpan - 1;
    for (;;) {
      r += move[0];
      c += move[1];
      if (r < 0 || r >= grid.length || c < 0 || c >= (grid[r] || []).length) return null;
      var next = grid[r][c];
      if (next !== cell && linkOf(next)) return linkOf(next);
    }
  }

  function setUp(table) {
    var links = table.querySelectorAll("tbody td a");
    if (!links.length) return;
    var first = table.querySelector("tbody tr.scroll-start td a") || links[0];
    for (var i = 0; i < links.length; i++) links[i].tabIndex = -1;
    first.tabIndex = 0;
  }

  function setUpAll() {
    document.querySelectorAll("table.agenda-grid").forEach(setUp);
  }

  document.addEventListener("keydown", function (event) {
    var move = KEYS[event.key];
    if (!move || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    var link = event.target.closest && event.target.closest("table.agenda-grid tbody td a");
    if (!link) return;
    var table = link.closest("table");
    var next = step(matrix(table), link.closest("td"), move);
    event.preventDefault();
    if (!next) return;
    link.tabIndex = -1;
    next.tabIndex = 0;
    next.focus();
  });

  // A cell reached by mouse or touch becomes the grid's Tab stop.
  document.addEventListener("focusin", function (event) {
    var link = event.target.closest && event.target.closest("table.agenda-grid tbody td a");
    if (!link || link.tabIndex === 0) return;
    link
      .closest("table")
      .querySelectorAll("tbody td a[tabindex='0']")
      .forEach(function (other) {
        other.tabIndex = -1;
      });
    link.tabIndex = 0;
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpAll);
  } else {
    setUpAll();
  }
  document.addEventListener("htmx:after:settle", setUpAll);
})();
