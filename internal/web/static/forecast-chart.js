// Draws the forecast chart from the canvas's data attributes (no inline script: the CSP forbids it).
(function () {
  const canvas = document.getElementById("forecast-chart");
  if (!canvas || typeof Chart === "undefined") return;
  const read = (name) => JSON.parse(canvas.dataset[name]);
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: read("labels"),
      datasets: [
        { type: "bar", label: canvas.dataset.currentLabel, data: read("current"), backgroundColor: "rgba(13,110,253,.6)" },
        { type: "line", label: canvas.dataset.previousLabel, data: read("previous"), borderColor: "#6c757d", pointRadius: 2 },
      ],
    },
    options: { animation: false, responsive: true, maintainAspectRatio: false, plugins: { legend: { position: "bottom" } } },
  });
  canvas.dataset.drawn = "yes";
})();
