// Renders the API reference from the served OpenAPI description (no inline script: the CSP forbids it).
(function () {
  var target = document.getElementById("reference");
  window.ui = SwaggerUIBundle({ url: target.dataset.spec, domNode: target, deepLinking: true });
})();
