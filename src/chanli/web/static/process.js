// Kanban drag and drop: dropping a card on a column posts the move through HTMX, so the
// stage gate's answer (what is missing) lands in #gate-feedback exactly as with the button.
// The page works without this file: every card has its own "move to next stage" button.
(function () {
  "use strict";
  let dragged = null;

  document.addEventListener("dragstart", function (evt) {
    const card = evt.target.closest && evt.target.closest(".pr-card");
    if (!card) return;
    dragged = card;
    card.classList.add("dragging");
    evt.dataTransfer.effectAllowed = "move";
    evt.dataTransfer.setData("text/plain", card.dataset.id);
  });

  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    document.querySelectorAll(".pr-column.drop-target").forEach(function (c) { c.classList.remove("drop-target"); });
  });

  document.addEventListener("dragover", function (evt) {
    const column = evt.target.closest && evt.target.closest(".pr-column");
    if (!column || !dragged) return;
    evt.preventDefault();
    column.classList.add("drop-target");
  });

  document.addEventListener("dragleave", function (evt) {
    const column = evt.target.closest && evt.target.closest(".pr-column");
    if (column && !column.contains(evt.relatedTarget)) column.classList.remove("drop-target");
  });

  document.addEventListener("drop", function (evt) {
    const column = evt.target.closest && evt.target.closest(".pr-column");
    if (!column || !dragged) return;
    evt.preventDefault();
    column.classList.remove("drop-target");
    const id = evt.dataTransfer.getData("text/plain") || dragged.dataset.id;
    if (column.contains(dragged)) return;
    window.htmx.ajax("POST", "/process/opportunities/" + id + "/move", {
      target: "#gate-feedback",
      values: { to_stage: column.dataset.stage },
    });
  });
})();
