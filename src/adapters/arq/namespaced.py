"""An arq Redis client whose every key is under REDIS_NAMESPACE.

arq writes keys of its own outside the queue (`arq:job:…`, `arq:in-progress:…`, `arq:result:…`, `arq:retry:…`,
`arq:abort`), with prefixes that are module constants and no option to change them (python-arq/arq#436). So
the namespace is put in front of every key at the client, for the app that enqueues and for the worker alike,
and two deployments can share a Redis. A key already under the namespace (our queue names) is left as it is.
A command whose keys this client does not know is refused rather than sent with a key outside the namespace.
"""

from __future__ import annotations

from typing import Any

from arq.connections import ArqRedis
from redis.asyncio import ConnectionPool
from redis.asyncio.client import Pipeline

# the commands arq sends, by where their keys are
_FIRST_ARGUMENT_IS_A_KEY = frozenset(
    {
        "GET", "SET", "SETEX", "PSETEX", "INCR", "INCRBY", "EXPIRE", "PEXPIRE", "KEYS",
        "ZADD", "ZREM", "ZSCORE", "ZCARD", "ZINCRBY", "ZRANGE", "ZRANGEBYSCORE", "ZREMRANGEBYSCORE",
    }
)  # fmt: skip
_EVERY_ARGUMENT_IS_A_KEY = frozenset({"EXISTS", "DEL", "UNLINK", "WATCH"})
_NO_KEYS = frozenset({"PING", "INFO", "DBSIZE", "MULTI", "EXEC", "DISCARD", "UNWATCH"})


class UnknownKeysError(RuntimeError):
    """arq sent a command this client cannot place under the namespace (a new arq version?)."""


def _under(namespace: str, key: Any) -> Any:
    if isinstance(key, bytes):
        prefix = namespace.encode()
        return key if key.startswith(prefix) else prefix + key
    text = str(key)
    return text if text.startswith(namespace) else namespace + text


def namespaced_command(namespace: str, args: tuple[Any, ...], options: dict[str, Any]) -> tuple[Any, ...]:
    """`args` of one command with its keys under `namespace` (and its `keys` option, which redis-py keeps)."""
    command = str(args[0]).upper()
    if "keys" in options:
        options["keys"] = [_under(namespace, key) for key in options["keys"]]
    if command in _FIRST_ARGUMENT_IS_A_KEY:
        return (args[0], _under(namespace, args[1]), *args[2:])
    if command in _EVERY_ARGUMENT_IS_A_KEY:
        return (args[0], *(_under(namespace, key) for key in args[1:]))
    if command in _NO_KEYS:
        return args
    raise UnknownKeysError(f"{command}: where its keys are is unknown, so it cannot be namespaced")


class NamespacedPipeline(Pipeline):
    def __init__(self, namespace: str, *args: Any) -> None:
        super().__init__(*args)
        self.namespace = namespace

    def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        return super().execute_command(*namespaced_command(self.namespace, args, kwargs), **kwargs)


class NamespacedArqRedis(ArqRedis):
    def __init__(self, pool: ConnectionPool, namespace: str, **kwargs: Any) -> None:
        super().__init__(pool, **kwargs)
        self.namespace = namespace

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        command = namespaced_command(self.namespace, args, options)
        return await super().execute_command(*command, **options)  # type: ignore[no-untyped-call]  # redis-py

    def pipeline(self, transaction: bool = True, shard_hint: str | None = None) -> Pipeline:
        return NamespacedPipeline(
            self.namespace, self.connection_pool, self.response_callbacks, transaction, shard_hint
        )
