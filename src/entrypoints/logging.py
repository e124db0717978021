"""Structured logs through Litestar's structlog plugin: JSON in production, readable in development.

Standard-library loggers (uvicorn, SQLAlchemy, arq) go through the same processors, so every line
has the same shape and carries the request id bound in the request context.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog
from litestar.logging.config import LoggingConfig, StructLoggingConfig
from litestar.plugins.structlog import StructlogConfig, StructlogPlugin

from src.entrypoints.settings import LogFormat, Settings

# uvicorn logs each WebSocket handshake with its query string, where browsers must put the access token
_SECRET_IN_QUERY = re.compile(r"((?:access_|refresh_)?token=)[^&\s\"']+", re.IGNORECASE)


def redact_tokens(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """Tokens never reach a log line: `token=…` in any message or string field becomes `token=[redacted]`."""
    for key, value in event_dict.items():
        if isinstance(value, str) and "token=" in value.lower():
            event_dict[key] = _SECRET_IN_QUERY.sub(r"\1[redacted]", value)
    return event_dict


# C0 and C1 controls and DEL: a terminal obeys them (a request path with %1b[31m would recolour the console, a
# %0a would forge a line); JSON lines escape them, and so does the console, in the same notation
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def _escape_control(match: re.Match[str]) -> str:
    char = match.group()
    return _SHORT_ESCAPES.get(char, f"\\u{ord(char):04x}")


def escape_control_characters(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """Console only: every string field is written with its control characters escaped as JSON escapes them."""
    for key, value in event_dict.items():
        if isinstance(value, str) and _CONTROL.search(value):
            event_dict[key] = _CONTROL.sub(_escape_control, value)
    return event_dict


_SHARED: list[Any] = [
    redact_tokens,
    structlog.contextvars.merge_contextvars,
    structlog.processors.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


# structured tracebacks without local variables: a frame's locals may hold a DSN with its password, or a token
exception_as_dict = structlog.processors.ExceptionRenderer(
    structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
)


def _renderer(as_json: bool) -> Any:
    if as_json:
        return structlog.processors.JSONRenderer()
    # plain tracebacks: rich ones print local variables, which may hold tokens or passwords
    return structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)


def _stdlib_config(level: str, as_json: bool) -> LoggingConfig:
    formatter = {
        "()": structlog.stdlib.ProcessorFormatter,
        "foreign_pre_chain": [*_SHARED, structlog.stdlib.add_logger_name],
        "processors": [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *([exception_as_dict] if as_json else [escape_control_characters]),
            _renderer(as_json),
        ],
    }
    return LoggingConfig(
        formatters={"structured": formatter},
        handlers={
            "stderr": {"class": "logging.StreamHandler", "formatter": "structured", "stream": "ext://sys.stderr"}
        },
        root={"level": level, "handlers": ["stderr"]},
        loggers={
            "uvicorn.access": {"level": "WARNING", "propagate": True},
            "httpx": {"level": "WARNING", "propagate": True},
            # aiokafka logs each failed reconnect (ten a second while a broker is away); the exporter and the
            # consumer say it once a pass instead ("outbox export failed", "kafka unreachable")
            "aiokafka": {"level": "CRITICAL", "propagate": True},
        },
        log_exceptions="never",
        configure_root_logger=True,
    )


def structlog_plugin(settings: Settings) -> StructlogPlugin:
    as_json = settings.effective_log_format is LogFormat.JSON
    level_name = settings.log_level.upper()
    level = logging.getLevelName(level_name)
    processors = [*_SHARED, exception_as_dict] if as_json else [*_SHARED, escape_control_characters]
    logging_config = StructLoggingConfig(
        processors=[*processors, _renderer(as_json)],
        wrapper_class=structlog.make_filtering_bound_logger(level if isinstance(level, int) else logging.INFO),
        logger_factory=structlog.WriteLoggerFactory(file=sys.stderr),
        log_exceptions="never",  # our 500 handler logs the full trace once, with the request id
        standard_lib_logging_config=_stdlib_config(level_name, as_json),
        pretty_print_tty=False,
    )
    return StructlogPlugin(
        config=StructlogConfig(structlog_logging_config=logging_config, enable_middleware_logging=False)
    )
