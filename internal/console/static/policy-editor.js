// A problem's line link puts the caret on that line of the policy document.
document.querySelectorAll("a.policy-line").forEach((link) => {
  link.addEventListener("click", (event) => {
    event.preventDefault();
    const area = document.getElementById("document");
    const line = Number(link.dataset.line);
    const lines = area.value.split("\n");
    const start = lines.slice(0, line - 1).reduce((n, text) => n + text.length + 1, 0);
    area.focus();
    area.setSelectionRange(start, start + (lines[line - 1] || "").length);
    const height = area.scrollHeight / Math.max(lines.length, 1);
    area.scrollTop = Math.max(0, (line - 5) * height);
  });
});
