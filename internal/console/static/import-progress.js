// The job page's progress bar follows the running job, and the page reloads with the result when it ends.
(function () {
  const box = document.getElementById("job-progress");
  if (!box || box.dataset.finished === "yes") return;
  const bar = box.querySelector(".progress-bar");
  const rows = box.querySelector("[data-testid=job-rows]");
  async function poll() {
    const response = await fetch(box.dataset.url, { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const job = await response.json();
    if (job.finished) {
      window.location.reload();
      return;
    }
    const percent = job.rows_total ? Math.round((100 * job.rows_done) / job.rows_total) : 0;
    bar.style.width = percent + "%";
    bar.textContent = percent + "%";
    bar.parentElement.setAttribute("aria-valuenow", String(percent));
    rows.textContent = job.rows_done.toLocaleString() + " / " + job.rows_total.toLocaleString();
    window.setTimeout(poll, 1000);
  }
  window.setTimeout(poll, 1000);
})();
