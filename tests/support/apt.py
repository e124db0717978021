"""Debian packages the test and benchmark tools need (Chromium, wrk): installed with apt-get when missing and we
run as root, as on CI's machine; elsewhere the caller says how to install them."""

from __future__ import annotations

import os
import shutil
import subprocess


def ensure_debian_package(package: str, executable: str) -> str | None:
    """The path of `executable`, installing `package` first if it is missing and we may; None if impossible."""
    if found := shutil.which(executable):
        return found
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-qq", package]
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "check": False, "env": env}
        if subprocess.run(install, **quiet).returncode != 0:  # type: ignore[call-overload]
            subprocess.run(["apt-get", "update", "-qq"], **quiet)  # type: ignore[call-overload]
            subprocess.run(install, **quiet)  # type: ignore[call-overload]
    return shutil.which(executable)
