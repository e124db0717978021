"""What every `casino-club` command shares: settings loaded (or one line and exit 2), a busy store as one line."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import click

from src.application.shared.errors import StoreInUse
from src.entrypoints.settings import Settings, SettingsError, load_settings


def _settings_or_exit() -> Settings:
    try:
        settings = load_settings()
        settings.check_production_safety()
    except SettingsError as exc:
        click.echo(f"casino-club: refusing to start: {exc}", err=True)
        sys.exit(2)
    return settings


def with_settings(command: Callable[..., Any]) -> Callable[..., Any]:
    """Load settings (or exit with one line saying why not) and pass them as the first argument; a store held by
    another process (the server) is also one line and exit 2, not a traceback."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        settings = _settings_or_exit()
        try:
            return command(settings, *args, **kwargs)
        except StoreInUse as busy:
            click.echo(f"casino-club: {busy}", err=True)
            sys.exit(2)

    return wrapper
