"""The browser side served by the app itself: the web client (`/`), the operator console (`/admin`), the API docs
(`/docs`, `/docs/realtime`) and their static assets (`/static/…`). Plain files, no build step and no CDN: the
JavaScript is ES modules checked with `// @ts-check` (JSDoc types), vendored libraries sit under static/vendor/
with their licence and version."""

from pathlib import Path

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
PAGES_DIR = WEB_DIR / "pages"
