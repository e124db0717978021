"""Request bodies of JSON routes: `application/json` only, nested at most MAX_JSON_DEPTH levels, typed strictly.

Litestar converts a handler's arguments laxly (a query string's "10" must become 10), and its `data` with them,
so a body's "10" or 10.0 would pass as an integer. Bodies are JSON, which has integers: here they are checked
against the handler's `data` type without conversion first, and refused with the client's own field names.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import ClientException, HTTPException, SerializationException, ValidationException
from litestar.status_codes import HTTP_415_UNSUPPORTED_MEDIA_TYPE
from litestar.types import Empty, Scope

from src.application.shared.json_nesting import MAX_JSON_DEPTH, nests_within

JSON_MEDIA_TYPE = "application/json"
# msgspec's messages end with where it went wrong: "Expected `int`, got `str` - at `$.bet`"
_LOCATION = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_MISSING_FIELD = re.compile(r"^Object missing required field `(?P<field>[^`]+)`")


def raw_header(scope: Scope, name: bytes) -> str | None:
    """The first `name` header (lower case), as `connection.headers.get(name)` gives it, from the scope's raw
    headers: Litestar builds its header multidict of every header for the first lookup (~3 % of a spin's CPU)."""
    for key, value in scope["headers"]:
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


class JsonRequest(Request[Any, Any, Any]):
    """The app's request class; `json()` is what Litestar reads a JSON `data` argument (and idempotency its body)
    with, so every check happens once, before the handler runs. The body's length and media type are read from the
    raw headers (`raw_header`), as Litestar reads them from its header multidict."""

    @property
    def content_length(self) -> int | None:
        if self._content_length is Empty:
            announced = raw_header(self.scope, b"content-length")
            try:
                self._content_length = int(announced) if announced is not None else None
            except ValueError:
                raise ClientException(f"Invalid content-length: {announced!r}") from None
        length: int | None = self._content_length
        return length

    async def json(self) -> Any:
        if self._json is not Empty or self._connection_state.json is not Empty:
            return await super().json()
        raw = await self.body()
        if not raw:
            return await super().json()
        if _media_type(self.scope) != JSON_MEDIA_TYPE:
            raise HTTPException(status_code=HTTP_415_UNSUPPORTED_MEDIA_TYPE, detail=f"send {JSON_MEDIA_TYPE}")
        if not nests_within(raw):
            raise body_invalid(self, f"the body nests deeper than {MAX_JSON_DEPTH} levels")
        try:
            value = await super().json()
        except SerializationException as malformed:
            raise body_invalid(self, f"the body is not JSON: {malformed.detail}") from malformed
        body_type = _declared_body_type(self)
        if body_type is not None:
            try:
                msgspec.convert(value, body_type, strict=True)
            except msgspec.ValidationError as refusal:
                self._json = self._connection_state.json = Empty  # a refused body is never read as valid later
                raise ValidationException(detail=_failed(self), extra=[body_field(str(refusal))]) from refusal
        return value


def _media_type(scope: Scope) -> str:
    """The Content-Type's media type, lower case, without parameters (as `Request.content_type[0]`)."""
    return (raw_header(scope, b"content-type") or "").partition(";")[0].strip().lower()


def _declared_body_type(request: Request[Any, Any, Any]) -> Any:
    field = request.route_handler.parsed_fn_signature.parameters.get("data")
    return None if field is None else field.annotation


def _failed(request: Request[Any, Any, Any]) -> str:
    return f"Validation failed for {request.method} {request.url.path}"


def body_invalid(request: Request[Any, Any, Any], message: str) -> ValidationException:
    return ValidationException(detail=_failed(request), extra=[{"message": message, "source": "body"}])


def body_field(message: str) -> dict[str, str]:
    """One entry of `details.fields` from a msgspec message: the field as the client wrote it (`bet`,
    `target.user_ids[0]`), none when the body as a whole is wrong."""
    located = _LOCATION.search(message)
    path = located["path"] if located else ""
    text = message[: located.start()] if located else message
    if missing := _MISSING_FIELD.match(text):
        path = f"{path}.{missing['field']}"
    entry = {"message": text, "source": "body"}
    if key := path.lstrip("."):
        entry["key"] = key
    return entry
