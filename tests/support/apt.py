"""Debian packages the test and benchmark tools need (Chromium, wrk): installed with apt-get when missing and we
run as root, as on CI's machine; elsewhere the caller says how to install them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys


def ensure_debian_package(package: str, executable: str) -> str | None:
    """The path of `executable`, installing `package` first if it is missing and we may; None if impossible."""
    if found := shutil.which(executable):
        return found
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        # another apt run (a second suite on the machine) holds dpkg's lock for a while: wait for it, not fail
        install = ["apt-get", "-o", "DPkg::Lock::Timeout=300", "install", "-y", "-qq", package]
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "check": False, "env": env}
        if subprocess.run(install, **quiet).returncode != 0:  # type: ignore[call-overload]
            subprocess.run(["apt-get", "update", "-qq"], **quiet)  # type: ignore[call-overload]
            subprocess.run(install, **quiet)  # type: ignore[call-overload]
    return shutil.which(executable)


def main(argv: list[str]) -> int:
    """`python -m tests.support.apt PACKAGE [EXECUTABLE]`: 0 when the executable is there (installed if need be)."""
    package, executable = argv[0], argv[1] if len(argv) > 1 else argv[0]
    if ensure_debian_package(package, executable) is None:
        print(f"no {executable}: install Debian's package: apt-get install -y {package}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
