// Renders the API reference from the served OpenAPI description (no inline script: the CSP forbids it).
(function () {
  var target = document.getElementById("reference");
  // No deep links: they put a link inside each operation's button, which screen readers cannot reach.
  window.ui = SwaggerUIBundle({
    url: target.dataset.spec,
    domNode: target,
    deepLinking: false,
    onComplete: function () {
      // Landmarks and a label for the parts Swagger UI draws outside its own main region.
      var servers = document.getElementById("servers");
      if (servers) servers.setAttribute("aria-label", "Servers");
      var info = document.querySelector(".swagger-ui .information-container");
      if (info) info.setAttribute("role", "banner");
      var choice = document.querySelector(".swagger-ui .schemes-server-container");
      if (choice) {
        choice.setAttribute("role", "region");
        choice.setAttribute("aria-label", "Servers");
      }
    },
  });
})();
