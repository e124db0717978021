"""Which arguments of arq's commands are keys, and that each goes under the namespace once."""

from __future__ import annotations

import pytest

from src.adapters.arq.namespaced import UnknownKeysError, namespaced_command

NS = "acme:"


def test_the_key_of_a_single_key_command_goes_under_the_namespace() -> None:
    options: dict[str, object] = {"keys": ["arq:job:j1"]}

    sut = namespaced_command(NS, ("GET", "arq:job:j1"), options)

    assert sut == ("GET", "acme:arq:job:j1")
    assert options == {"keys": ["acme:arq:job:j1"]}


def test_values_and_members_stay_as_they_are() -> None:
    assert namespaced_command(NS, ("PSETEX", "arq:in-progress:j1", 40000, b"arq:value"), {}) == (
        "PSETEX",
        "acme:arq:in-progress:j1",
        40000,
        b"arq:value",
    )
    assert namespaced_command(NS, ("ZREM", "arq:abort", "arq:j1"), {}) == ("ZREM", "acme:arq:abort", "arq:j1")


def test_every_key_of_a_multi_key_command_and_bytes_keys() -> None:
    sut = namespaced_command(NS, ("DEL", "arq:retry:j1", b"arq:job:j1"), {})

    assert sut == ("DEL", "acme:arq:retry:j1", b"acme:arq:job:j1")


def test_a_key_already_under_the_namespace_is_not_prefixed_twice() -> None:
    assert namespaced_command(NS, ("ZADD", "acme:arq:payments", 1, "j1"), {}) == ("ZADD", "acme:arq:payments", 1, "j1")


def test_commands_without_keys_pass_and_unknown_ones_are_refused() -> None:
    assert namespaced_command(NS, ("INFO", "Server"), {}) == ("INFO", "Server")
    with pytest.raises(UnknownKeysError):
        namespaced_command(NS, ("RENAME", "arq:a", "arq:b"), {})
