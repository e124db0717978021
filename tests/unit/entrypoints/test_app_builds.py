"""`serve_with`: a built app serves its next start with other settings, unless the build read them."""

from __future__ import annotations

import pytest

from src.adapters.system.clock import SystemClock
from src.entrypoints.http.app import create_app, serve_with
from src.entrypoints.settings import Settings, load_settings


def _settings(**overrides: str) -> Settings:
    environ = {"APP_ENV": "test", "DATABASE_URL": "postgresql+asyncpg://nowhere/none", "LOG_LEVEL": "WARNING"}
    return load_settings(environ | {key.upper(): value for key, value in overrides.items()}, env_file=None)


def test_a_built_app_starts_next_with_the_settings_and_clock_it_is_given() -> None:
    app = create_app(_settings())
    other, clock = _settings(redis_namespace="other:", starting_coins="7"), SystemClock()

    serve_with(app, other, clock=clock)

    assert (app.state.settings, app.state.clock) == (other, clock)


@pytest.mark.parametrize(
    "overrides", [{"cors_origins": "https://a.example"}, {"max_request_body_bytes": "10"}, {"log_level": "DEBUG"}]
)
def test_settings_the_build_read_cannot_change(overrides: dict[str, str]) -> None:
    app = create_app(_settings())

    with pytest.raises(ValueError, match="built with other"):
        serve_with(app, _settings(**overrides))
