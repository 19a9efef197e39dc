// Stacked-card tables (.table-stack, see portal.css): each body cell learns its column's header as
// data-label, which the phone layout shows before the value. No inline script: the CSP forbids it.
(function () {
  // Every table: header cells say what they head (a column in the head, a row elsewhere).
  for (const th of document.querySelectorAll("table th:not([scope])")) {
    th.scope = th.closest("thead") ? "col" : "row";
  }
  for (const table of document.querySelectorAll("table.table-stack")) {
    // Cards are not laid out as a table: name the parts, so screen readers still read a table.
    table.setAttribute("role", "table");
    for (const group of table.querySelectorAll(":scope > thead, :scope > tbody, :scope > tfoot")) group.setAttribute("role", "rowgroup");
    for (const row of table.rows) {
      row.setAttribute("role", "row");
      for (const cell of row.cells) {
        const header = cell.tagName === "TH" ? (cell.scope === "row" ? "rowheader" : "columnheader") : "cell";
        cell.setAttribute("role", header);
      }
    }
    const headRow = table.tHead && table.tHead.rows[table.tHead.rows.length - 1];
    if (!headRow) continue;
    const labels = [];
    for (const th of headRow.cells) {
      for (let n = 0; n < th.colSpan; n++) labels.push(th.dataset.label || th.textContent.trim());
    }
    for (const body of table.tBodies) {
      for (const row of body.rows) {
        let column = 0;
        for (const cell of row.cells) {
          if (cell.colSpan === 1 && !cell.hasAttribute("data-label") && labels[column]) {
            cell.dataset.label = labels[column];
          }
          column += cell.colSpan;
        }
      }
    }
  }

  // A table wider than its box scrolls sideways: keyboard users can reach it (Tab, then the arrow
  // keys), and screen readers hear it as a region named by the heading above it.
  function reachableWhenScrolling() {
    for (const box of document.querySelectorAll(".table-responsive")) {
      if (box.hasAttribute("tabindex") || box.scrollWidth <= box.clientWidth) continue;
      box.tabIndex = 0;
      box.setAttribute("role", "region");
      if (!box.hasAttribute("aria-label")) {
        let near = box.previousElementSibling;
        while (near && !/^H[1-6]$/.test(near.tagName)) near = near.previousElementSibling;
        const heading = near || document.querySelector("main h1");
        if (heading) box.setAttribute("aria-label", heading.textContent.trim());
      }
    }
  }
  reachableWhenScrolling();
  window.addEventListener("resize", reachableWhenScrolling);
})();
