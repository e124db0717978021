"""The published OpenAPI document describes errors as they are sent: the envelope of API.md."""

from __future__ import annotations

from litestar import Litestar
from litestar.openapi.spec import Components, OpenAPIMediaType, OpenAPIResponse, Reference, Schema
from litestar.openapi.spec.enums import OpenAPIType

ENVELOPE = "ErrorEnvelope"
_ENVELOPE_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    required=["error"],
    properties={
        "error": Schema(
            type=OpenAPIType.OBJECT,
            required=["code", "message", "details", "request_id"],
            properties={
                "code": Schema(type=OpenAPIType.STRING, description="a stable code from API.md, e.g. OUT_OF_STOCK"),
                "message": Schema(type=OpenAPIType.STRING),
                "details": Schema(type=[OpenAPIType.OBJECT, OpenAPIType.NULL], additional_properties=Schema()),
                "request_id": Schema(type=OpenAPIType.STRING),
            },
        )
    },
)
_METHODS = ("get", "put", "post", "delete", "patch")


def document_error_envelope(app: Litestar) -> None:
    """Startup hook: every 4xx/5xx response in the document gets the envelope's schema."""
    schema = app.openapi_schema
    schema.components = schema.components or Components()
    schema.components.schemas = {**(schema.components.schemas or {}), ENVELOPE: _ENVELOPE_SCHEMA}
    envelope = {"application/json": OpenAPIMediaType(schema=Reference(f"#/components/schemas/{ENVELOPE}"))}
    for path_item in (schema.paths or {}).values():
        for method in _METHODS:
            operation = getattr(path_item, method, None)
            for status, response in (operation.responses or {}).items() if operation else ():
                if int(status) >= 400 and isinstance(response, OpenAPIResponse):
                    response.content = dict(envelope)
