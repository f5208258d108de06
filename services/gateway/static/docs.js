// Starts Swagger UI on /docs. A file of its own, not an inline script, so the page's
// Content-Security-Policy can forbid inline scripts. validatorUrl null: no badge fetched from a third party.
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  validatorUrl: null,
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  layout: "BaseLayout",
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
