"""Debian's Chromium for the browser tests: found at /usr/bin/chromium, installed with apt-get when missing and
the suite runs as root (`make test` calls this before the suite; the browser fixtures call it too)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from tests.support.apt import ensure_debian_package

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
HINT = "install Debian's package: apt-get install -y chromium (or set CHROMIUM_PATH)"


def ensure_chromium() -> Path | None:
    """The browser's path, installing the Debian package first if it is missing and we may; None if impossible."""
    if CHROMIUM.exists():
        return CHROMIUM
    ensure_debian_package("chromium", "chromium")
    return CHROMIUM if CHROMIUM.exists() else None


def main() -> int:
    if ensure_chromium() is None:
        print(f"make test: no Chromium at {CHROMIUM} for the browser tests; {HINT}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
