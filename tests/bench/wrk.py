"""`wrk` (a C load generator, Debian package `wrk`) driving one route per process, for honest per-route latency.

A wrk process keeps one latency histogram and its Lua `response` hook does not know which request an answer
belongs to, so a mix of routes is run as one wrk per route side by side: each has its own connections (players
acting on that route), its own histogram (p50/p99) and its own tally of answers by status. The Lua script
rotates over the players' bearer tokens, waits a think time before each request (`delay`), and can send a new
Idempotency-Key each time. An answer the product gives by design (a second streak tick in a day: 409
ALREADY_CLAIMED) is counted apart from errors.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
from dataclasses import dataclass
from typing import Any

from tests.support.apt import ensure_debian_package

WRK_TIMEOUT_SECONDS = 10

_LUA = """
local tokens = %(tokens)s
local method, path, body, fresh_key = %(method)s, %(path)s, %(body)s, %(fresh_key)s
local think_ms = %(think_ms)d
local tolerated_status, tolerated_code = %(tolerated_status)d, %(tolerated_code)s
local threads = {}
ok, tolerated, unexpected, sample = 0, 0, 0, ""
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function init(args)
  math.randomseed(os.time() * 1000 + id)
  counter = math.random(0, #tokens - 1)
end
function request()
  counter = counter + 1
  local headers = {["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. tokens[(counter %% #tokens) + 1]}
  if fresh_key then
    headers["Idempotency-Key"] = string.format("%%08x%%08x%%08x%%08x", math.random(0, 0x7fffffff),
      math.random(0, 0x7fffffff), math.random(0, 0x7fffffff), math.random(0, 0x7fffffff))
  end
  return wrk.format(method, path, headers, body)
end
if think_ms > 0 then
  function delay()
    return math.random(math.floor(think_ms / 2), math.floor(think_ms * 3 / 2))
  end
end
function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
  elseif status == tolerated_status and string.find(body or "", tolerated_code, 1, true) then
    tolerated = tolerated + 1
  else
    unexpected = unexpected + 1
    if sample == "" then sample = status .. " " .. string.sub(body or "", 1, 200) end
  end
end
function done(summary, latency, requests)
  local answers = {ok = 0, tolerated = 0, unexpected = 0}
  local first = ""
  for _, thread in ipairs(threads) do
    for name, _ in pairs(answers) do answers[name] = answers[name] + thread:get(name) end
    if first == "" then first = thread:get("sample") end
  end
  local e = summary.errors
  io.write(string.format('\\nRESULT {"requests": %%d, "duration_us": %%d, "ok": %%d, "tolerated": %%d, ' ..
    '"unexpected": %%d, "socket_errors": %%d, "p50_us": %%d, "p99_us": %%d, "max_us": %%d, "sample": "%%s"}\\n',
    summary.requests, summary.duration, answers.ok, answers.tolerated, answers.unexpected,
    e.connect + e.read + e.write + e.timeout, latency:percentile(50), latency:percentile(99), latency.max,
    string.gsub(first, '[%%c"\\\\]', " ")))
end
"""


@dataclass(frozen=True)
class Route:
    """One kind of request: `body` is JSON text; `tolerated` is an answer by design, (status, error code)."""

    name: str
    method: str
    path: str
    body: str = ""
    fresh_key: bool = False
    tolerated: tuple[int, str] = (0, "")


def ensure_wrk() -> str | None:
    """wrk's path, installing the Debian package first when it is missing and we may; None if impossible."""
    return shutil.which("wrk") or ensure_debian_package("wrk", "wrk")


def lua_script(route: Route, tokens: list[str], think_ms: int) -> str:
    status, code = route.tolerated
    return _LUA % {
        "tokens": "{" + ", ".join(json.dumps(token) for token in tokens) + "}",
        "method": json.dumps(route.method),
        "path": json.dumps(route.path),
        "body": json.dumps(route.body),
        "fresh_key": "true" if route.fresh_key else "false",
        "think_ms": think_ms,
        "tolerated_status": status,
        "tolerated_code": json.dumps(code),
    }


async def run_wrk(
    base_url: str, route: Route, tokens: list[str], connections: int, seconds: float, think_ms: int = 0
) -> dict[str, Any]:
    """One wrk process (one thread) on `route` for `seconds`; its RESULT line as a dict."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix=f"wrk-{route.name}-") as script:
        script.write(lua_script(route, tokens, think_ms))
        script.flush()
        command = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s"]
        command += ["--timeout", f"{WRK_TIMEOUT_SECONDS}s", "-s", script.name, base_url]
        process = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        stdout, stderr = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"wrk on {route.name} exited with {process.returncode}: {stderr.decode()[-2000:]}")
    lines = stdout.decode().splitlines()
    line = next(line for line in reversed(lines) if line.startswith("RESULT "))
    return dict(json.loads(line.removeprefix("RESULT ")))
