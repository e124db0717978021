"""The before_send hook that sets the request id and the browser protections on every response start."""

from __future__ import annotations

from typing import Any

from src.entrypoints.http.security_headers import add_response_headers


async def _sent(headers: list[tuple[bytes, bytes]], request_id: str = "req-1") -> list[tuple[bytes, bytes]]:
    message: Any = {"type": "http.response.start", "status": 200, "headers": headers}
    await add_response_headers(message, {"type": "http", "headers": [], "state": {"request_id": request_id}})
    return sorted(message["headers"])


async def test_the_protections_replace_what_the_response_had_and_the_request_id_is_set_once() -> None:
    sent = await _sent(
        [
            (b"content-type", b"application/json"),
            (b"X-Frame-Options", b"SAMEORIGIN"),
            (b"x-request-id", b"forged"),
            (b"x-request-id", b"forged-again"),
            (b"Cache-Control", b"max-age=60"),
            (b"cache-control", b"public"),
        ]
    )

    assert sent == sorted(
        [
            (b"content-type", b"application/json"),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"),
            (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
            (b"cache-control", b"no-store"),
            (b"x-request-id", b"req-1"),
        ]
    )


async def test_a_response_keeps_its_own_policy_and_a_public_cache_control() -> None:
    sent = await _sent([(b"Content-Security-Policy", b"default-src 'self'"), (b"Cache-Control", b"Public, max-age=60")])

    assert (b"Content-Security-Policy", b"default-src 'self'") in sent
    assert (b"Cache-Control", b"Public, max-age=60") in sent
    assert [name for name, _ in sent if name.lower() in (b"content-security-policy", b"cache-control")] == [
        b"Cache-Control",
        b"Content-Security-Policy",
    ]


async def test_other_messages_are_left_alone() -> None:
    message: Any = {"type": "http.response.body", "body": b"{}"}
    await add_response_headers(message, {"type": "http", "headers": [], "state": {}})

    assert message == {"type": "http.response.body", "body": b"{}"}
