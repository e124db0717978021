// Starts Swagger UI on the API's own document. A file, not an inline script: the page's CSP runs scripts from
// this origin only.
"use strict";
(function () {
  const root = document.getElementById("swagger-ui");
  // eslint-disable-next-line no-undef
  window.ui = SwaggerUIBundle({
    url: root.dataset.specUrl,
    domNode: root,
    deepLinking: true,
    persistAuthorization: false,
    tryItOutEnabled: false,
  });
})();
