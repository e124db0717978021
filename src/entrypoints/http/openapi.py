"""The published OpenAPI document, finished so that a client generator can use it as it is:

- a bearer `securitySchemes` entry, and each operation's own `security` (none on the public ones);
- `Idempotency-Key` as a header parameter of the operations that honour it, required where the server requires it;
- each operation's error responses (401, 403, 404, 409, 422, 429, 503 as they can occur), all with the error
  envelope of API.md and the codes each status can carry there;
- the constraints the domain enforces (site id, password, percentages, the gacha's 1|10) written into the request
  schemas, from the same constants the validators use, so the two cannot drift;
- no generated placeholder examples (Litestar's ResponseSpec invents random ones), and real ones on the bodies
  whose shape is not obvious (an admin send's or a campaign's `target`);
- plain names for generic schemas: Litestar names `ListOut[HistoryOut]` after the argument's module path
  (`ListOut_src.entrypoints…HistoryOut_`), which generators turn into unwieldy class names; it is `HistoryListOut`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

from litestar import Litestar, Request
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import (
    Components,
    OpenAPIMediaType,
    OpenAPIResponse,
    Operation,
    Parameter,
    Reference,
    Schema,
    SecurityScheme,
)
from litestar.openapi.spec.enums import OpenAPIType
from litestar.routes import HTTPRoute

from src.application.shared.idempotency import MAX_KEY_LENGTH
from src.domain.identity.policies import MAX_VIP_TIER, NICKNAME_MIN, PASSWORD_MAX, PASSWORD_MIN
from src.domain.notifications.audience import TargetKind
from src.domain.shop.catalog import MAX_DISCOUNT_PERCENT
from src.domain.shop.promos import MAX_PROMO_PERCENT
from src.entrypoints.http.errors import STATUS_BY_CODE
from src.entrypoints.http.security import OPEN_PATHS, PUBLIC, admin_only, auth_rate_limit

ENVELOPE = "ErrorEnvelope"
BEARER = "bearer"
REALTIME_DOCS = "/docs/realtime"
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

# Operations that honour an Idempotency-Key: True where the server refuses the request without one.
IDEMPOTENT_OPERATIONS: dict[str, bool] = {
    "shop_buy": True,
    "shop_limited_buy": True,
    "admin_grant": True,
    "reward_grant": True,
    "admin_refund_transaction": True,
    "slot_spin": False,
    "gacha_pull": False,
    "streak_tick": False,
    "battlepass_claim": False,
    "battlepass_buy_premium": True,
    "shop_gem_item_buy": True,
    "claim_mission": False,
    "claim_achievement": False,
}

# Domain refusals each operation can answer, beyond what every operation of its kind can (see _error_codes).
OPERATION_CODES: dict[str, tuple[str, ...]] = {
    "signup": (
        "INVITE_INVALID",
        "INVITE_EXPIRED",
        "INVITE_EXHAUSTED",
        "SITE_ID_TAKEN",
        "NICKNAME_TAKEN",
        "SELF_EXCLUDED",
    ),
    "validate_invite": (),
    "login": ("INVALID_CREDENTIALS", "ACCOUNT_SUSPENDED", "ACCOUNT_BANNED", "LOGIN_LOCKED"),
    "admin_login": ("INVALID_CREDENTIALS", "ACCOUNT_SUSPENDED", "ACCOUNT_BANNED", "LOGIN_LOCKED", "FORBIDDEN"),
    "refresh": ("INVALID_CREDENTIALS", "TOKEN_EXPIRED", "TOKEN_REVOKED", "REFRESH_REUSED"),
    "slot_spin": ("INSUFFICIENT_FUNDS", "ALREADY_APPLIED"),
    "gacha_pull": ("INSUFFICIENT_FUNDS", "ALREADY_APPLIED"),
    "streak_tick": ("ALREADY_CLAIMED",),
    "streak_protect": ("NOT_CLAIMABLE", "INSUFFICIENT_FUNDS"),
    "shop_buy": (
        "NOT_FOUND",
        "DISABLED",
        "RANK_REQUIRED",
        "PAYMENT_FAILED",
        "PROMO_INVALID",
        "PROMO_EXPIRED",
        "PROMO_EXHAUSTED",
        "FRAUD_BLOCK",
    ),
    "shop_limited_buy": (
        "NOT_FOUND",
        "DISABLED",
        "WINDOW_CLOSED",
        "RANK_REQUIRED",
        "OUT_OF_STOCK",
        "USER_LIMIT",
        "PAYMENT_FAILED",
        "PROMO_INVALID",
        "PROMO_EXPIRED",
        "PROMO_EXHAUSTED",
        "FRAUD_BLOCK",
    ),
    "shop_payment_webhook": ("WEBHOOK_SIGNATURE_INVALID", "WEBHOOK_REPLAY"),
    "admin_refund_transaction": ("NOT_FOUND", "NOT_REFUNDABLE"),
    "admin_cancel_campaign": ("NOT_FOUND", "NOT_CANCELLABLE"),
    "admin_create_catalog_item": ("SKU_TAKEN",),
    "admin_create_promo_code": ("PROMO_CODE_TAKEN",),
    "admin_create_experiment": ("EXPERIMENT_KEY_TAKEN",),
    "admin_experiment_phase": ("ILLEGAL_TRANSITION",),
    "abtest_variant": ("NOT_FOUND",),
    "abtest_assign": ("NOT_FOUND",),
    "admin_update_user": ("FORBIDDEN",),
    "admin_delete_user": ("FORBIDDEN",),
    "follow": ("NOT_FOUND",),
    "reward_grant": ("NOT_FOUND", "ALREADY_APPLIED"),
    "admin_grant": ("NOT_FOUND", "ALREADY_APPLIED"),
    "claim_mission": ("NOT_FOUND", "NOT_CLAIMABLE", "ALREADY_CLAIMED"),
    "claim_achievement": ("NOT_FOUND", "NOT_CLAIMABLE", "ALREADY_CLAIMED"),
    "admin_create_mission": ("DEFINITION_EXISTS",),
    "admin_create_achievement": ("DEFINITION_EXISTS",),
}

# What the domain checks, written into the request schemas (schema name -> property -> JSON Schema keywords).
# site_id is trimmed and lower-cased before its check, so the documented pattern admits what the server admits.
SITE_ID_PATTERN = r"^\s*[A-Za-z0-9_]{3,32}\s*$"
REQUEST_CONSTRAINTS: dict[str, dict[str, dict[str, Any]]] = {
    "SignupIn": {
        "site_id": {"pattern": SITE_ID_PATTERN},
        "password": {"minLength": PASSWORD_MIN, "maxLength": PASSWORD_MAX},
        "nickname": {"minLength": NICKNAME_MIN},
    },
    "PullIn": {"count": {"enum": [1, 10]}},
    "PromoCodeIn": {"discount_percent": {"minimum": 1, "maximum": MAX_PROMO_PERCENT}},
    "CatalogItemIn": {"discount_percent": {"minimum": 0, "maximum": MAX_DISCOUNT_PERCENT}},
    "AdminUserUpdateIn": {"vip_tier": {"minimum": 0, "maximum": MAX_VIP_TIER}},
    "TargetIn": {"type": {"enum": [kind.value for kind in TargetKind]}},
}
_KEYWORDS = {
    "pattern": "pattern",
    "minLength": "min_length",
    "maxLength": "max_length",
    "minimum": "minimum",
    "maximum": "maximum",
    "enum": "enum",
}

TARGET_EXAMPLES: list[Any] = [
    {"type": "everyone"},
    {"type": "rank", "value": "VIP"},
    {"type": "vip_tier", "value": 3},
    {"type": "user", "value": "01JD8Z3V6Q0X6R8K2M4N5P7Q9S"},
]
REQUEST_EXAMPLES: dict[str, list[Any]] = {
    "AdminSendIn": [
        {
            "target": {"type": "rank", "value": "VIP"},
            "channels": ["inbox", "realtime", "push"],
            "title": "Double coins tonight",
            "body": "Every spin pays double from 20:00 to 22:00 UTC.",
            "type": "event",
        },
        {"target": {"type": "everyone"}, "channels": ["realtime"], "title": "Maintenance at 03:00 UTC"},
    ],
    "CampaignIn": [
        {
            "title": "Weekend gem sale",
            "channels": ["inbox", "email"],
            "target": {"type": "vip_tier", "value": 2},
            "scheduled_at": "2027-01-09T09:00:00Z",
            "body": "20% more gems on every pack this weekend.",
        }
    ],
    "TargetIn": TARGET_EXAMPLES,
}
TARGET_DESCRIPTION = (
    "Who receives it: `everyone` (no value); `rank` with a rank (STANDARD, PREMIUM, VIP): the active players of "
    "that rank; `vip_tier` with a tier number: the active players of that tier; `user` with a user id."
)


def _operations(app: Litestar) -> Iterator[tuple[HTTPRouteHandler, str]]:
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for handler in route.route_handlers:
                if isinstance(handler.operation_id, str):
                    yield handler, route.path


def _is_public(handler: HTTPRouteHandler | None, path: str) -> bool:
    return bool(handler and handler.opt.get(PUBLIC)) or any(re.match(pattern, path) for pattern in OPEN_PATHS)


def _error_codes(operation: Operation, handler: HTTPRouteHandler | None, public: bool) -> dict[int, list[str]]:
    operation_id = str(operation.operation_id)
    layers = handler.ownership_layers if handler else []
    guards = [guard for layer in layers for guard in getattr(layer, "guards", None) or ()]
    parameters = [parameter for parameter in operation.parameters or () if isinstance(parameter, Parameter)]
    codes: list[str] = []
    if parameters or operation.request_body is not None:
        codes.append("VALIDATION_ERROR")
    if not public:
        codes += ["UNAUTHORIZED", "TOKEN_EXPIRED", "TOKEN_REVOKED"]
    if admin_only in guards:
        codes.append("FORBIDDEN")
    if auth_rate_limit in guards:
        codes.append("RATE_LIMITED")
    if any(parameter.param_in == "path" for parameter in parameters):
        codes.append("NOT_FOUND")
    if operation_id in IDEMPOTENT_OPERATIONS:
        codes += ["IDEMPOTENCY_IN_PROGRESS", "IDEMPOTENCY_KEY_REUSED"]
    codes += OPERATION_CODES.get(operation_id, ())
    by_status: dict[int, list[str]] = {}
    for code in dict.fromkeys(codes):
        by_status.setdefault(STATUS_BY_CODE.get(code, 400), []).append(code)
    if operation_id != "health":
        by_status[503] = ["SERVICE_UNAVAILABLE", "NOT_READY"] if operation_id == "ready" else ["SERVICE_UNAVAILABLE"]
    return by_status


def _document_errors(operation: Operation, handler: HTTPRouteHandler | None, public: bool) -> None:
    envelope = {"application/json": OpenAPIMediaType(schema=Reference(f"#/components/schemas/{ENVELOPE}"))}
    responses = operation.responses = dict(operation.responses or {})
    for code_status, codes in sorted(_error_codes(operation, handler, public).items()):
        description = f"{HTTPStatus(code_status).phrase}; `error.code` is one of: {', '.join(codes)}"
        responses[str(code_status)] = OpenAPIResponse(description=description, content=dict(envelope))
    for status, response in responses.items():  # anything documented before (e.g. Litestar's 400) gets the envelope
        if int(status) >= 400 and isinstance(response, OpenAPIResponse):
            response.content = dict(envelope)


def _idempotency_parameter(required: bool) -> Parameter:
    return Parameter(
        name="Idempotency-Key",
        param_in="header",
        required=required,
        description=(
            "Makes the request safe to retry: the first answer is stored for 24 h and replayed (with "
            "`Idempotent-Replayed: true`) for the same key; another body with the key answers 422, a concurrent "
            "duplicate 409. The body's `idempotency_key` is accepted too; the header wins."
        ),
        schema=Schema(type=OpenAPIType.STRING, min_length=1, max_length=MAX_KEY_LENGTH),
    )


def _constrain(schemas: dict[str, Schema]) -> None:
    for schema_name, properties in REQUEST_CONSTRAINTS.items():
        schema = schemas.get(schema_name)
        if not isinstance(schema, Schema) or not schema.properties:
            raise LookupError(f"the OpenAPI document has no request schema {schema_name}")  # renamed: update here
        for property_name, keywords in properties.items():
            target = schema.properties[property_name]
            if not isinstance(target, Schema):
                raise LookupError(f"{schema_name}.{property_name} is not an inline schema")
            for keyword, value in keywords.items():
                setattr(target, _KEYWORDS[keyword], value)


def _strip_generated_examples(schema: Any) -> None:
    if isinstance(schema, Schema):
        schema.examples = None
        for child in (schema.properties or {}).values():
            _strip_generated_examples(child)
        _strip_generated_examples(schema.items)
        _strip_generated_examples(schema.additional_properties)
        for group in (schema.one_of, schema.any_of, schema.all_of):
            for child in group or ():
                _strip_generated_examples(child)


# Litestar's key for a generic struct: `<Generic>_<module path>.<Argument>_`
_GENERIC_KEY = re.compile(r"^(?P<generic>[A-Za-z]\w*?)_(?:[A-Za-z_]\w*\.)+(?P<argument>[A-Za-z]\w*)_$")


def _plain_name(key: str) -> str | None:
    """`ListOut_src…HistoryOut_` -> `HistoryListOut`; None for a key that is already plain."""
    match = _GENERIC_KEY.match(key)
    if match is None:
        return None
    argument, generic = match["argument"].removesuffix("Out"), match["generic"].removesuffix("Out")
    return f"{argument}{generic}Out" if match["generic"].endswith("Out") else f"{argument}{generic}"


# the field names of each dataclass type met in the document (`dataclasses.fields` per node was most of the walk)
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}
_LEAVES = (str, int, float, type(None))  # nothing to walk into: most of the document's ~140k values


def _rewrite_references(node: Any, renamed: dict[str, str]) -> None:
    """Point every `$ref` of the document (schemas, responses, bodies) at the renamed schemas."""
    if isinstance(node, Reference):
        name = node.ref.removeprefix("#/components/schemas/")
        if name in renamed:
            node.ref = f"#/components/schemas/{renamed[name]}"
        return
    if isinstance(node, dict):
        children: Any = node.values()
    elif isinstance(node, list | tuple):
        children = node
    else:
        names = _FIELD_NAMES.get(type(node))
        if names is None:
            is_instance = dataclasses.is_dataclass(node) and not isinstance(node, type)
            names = _FIELD_NAMES[type(node)] = (
                tuple(item.name for item in dataclasses.fields(node)) if is_instance else ()
            )
        children = (getattr(node, name) for name in names)
    for child in children:
        if not isinstance(child, _LEAVES):
            _rewrite_references(child, renamed)


def _plain_generic_names(document: Any, schemas: dict[str, Schema]) -> dict[str, Schema]:
    renamed = {key: name for key in schemas if (name := _plain_name(key)) is not None}
    clashes = sorted(plain for plain in renamed.values() if plain in schemas or list(renamed.values()).count(plain) > 1)
    if clashes:
        raise LookupError(f"generic schemas would take names already used: {clashes}")
    _rewrite_references(document, renamed)
    plain: dict[str, Schema] = {}
    for key, schema in schemas.items():
        if key in renamed:
            schema.title = renamed[key]  # generators name the class after the title
        plain[renamed.get(key, key)] = schema
    return plain


class FinishedOpenAPIJson(JsonRenderPlugin):
    """Serves the finished document, built and finished on its first request rather than at startup: building it
    costs ~0.2 s of CPU, which every process start paid (and the test suite starts over a hundred apps) though
    few processes are ever asked for it."""

    def __init__(self) -> None:
        super().__init__()
        self._finished: bytes | None = None

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        if self._finished is None:
            finish_openapi(request.app)  # edits the document Litestar built and keeps (`openapi_schema`'s source)
            self._finished = self.render_json(request, request.app.openapi_schema.to_schema())
        return self._finished


def finish_openapi(app: Litestar) -> None:
    """The document as described above (Litestar builds it once; this edits it in place)."""
    document = app.openapi_schema
    document.components = components = document.components or Components()
    schemas = components.schemas = {**(components.schemas or {}), ENVELOPE: _ENVELOPE_SCHEMA}
    components.security_schemes = {
        BEARER: SecurityScheme(
            type="http",
            scheme="bearer",
            bearer_format="JWT",
            description="The access token from /api/auth/signup, /api/auth/login or /api/auth/refresh.",
        )
    }
    document.security = [{BEARER: []}]
    document.info.description = (
        'The HTTP API of Casino-Club F2P. Every error is `{"error": {code, message, details, request_id}}`. '
        "Realtime (WebSocket `/api/realtime/ws` and SSE `/api/realtime/sse`): "
        f"[message types and fields]({REALTIME_DOCS})."
    )
    schemas = components.schemas = _plain_generic_names(document, schemas)
    for schema in schemas.values():
        _strip_generated_examples(schema)
    _constrain(schemas)
    for name, examples in REQUEST_EXAMPLES.items():
        example_schema = schemas.get(name)
        if example_schema is not None:
            example_schema.examples = examples
            if name == "TargetIn":
                example_schema.description = TARGET_DESCRIPTION
    handlers = {str(handler.operation_id): (handler, path) for handler, path in _operations(app)}
    for path, path_item in (document.paths or {}).items():
        for method in _METHODS:
            operation = getattr(path_item, method, None)
            if operation is None:
                continue
            handler, _ = handlers.get(str(operation.operation_id), (None, path))  # None: a handler without an id
            public = _is_public(handler, path)
            operation.security = [] if public else [{BEARER: []}]
            if operation.operation_id in IDEMPOTENT_OPERATIONS:
                required = IDEMPOTENT_OPERATIONS[str(operation.operation_id)]
                operation.parameters = [*(operation.parameters or []), _idempotency_parameter(required)]
            for response in (operation.responses or {}).values():
                if isinstance(response, OpenAPIResponse):
                    for media in (response.content or {}).values():
                        media.examples = None
                        _strip_generated_examples(media.schema)
            _document_errors(operation, handler, public)
