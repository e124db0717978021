"""How deep JSON from outside may nest. Python's JSON decoders recurse once per level, so 2 KB of brackets
exhaust the interpreter's stack (a RecursionError, not a decode error): every JSON text we accept from a
client or a gateway is measured against this bound before it is decoded."""

from __future__ import annotations

import re

MAX_JSON_DEPTH = 32  # our deepest legitimate document (an admin's game config) nests 4 levels

# a string (closed or not, escapes included) or a run of anything that is neither a bracket nor a quote
_NOT_A_BRACKET = re.compile(rb'"(?:[^"\\]|\\.)*+"?|[^\[\]{}"]++', re.DOTALL)
_INNERMOST_PAIR = re.compile(rb"\[\]|\{\}")


def nests_within(text: bytes | str, limit: int = MAX_JSON_DEPTH) -> bool:
    """False when a bracket of `text` outside strings is more than `limit` levels deep (also when that many
    brackets do not balance: not JSON anyway). Linear and without recursion: each pass drops the innermost
    pairs, so depth d takes d passes."""
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if raw.count(b"[") + raw.count(b"{") <= limit and raw.count(b"]") + raw.count(b"}") <= limit:
        return True  # the common case: too few brackets to nest that deep (balance is the decoder's business)
    brackets = _NOT_A_BRACKET.sub(b"", raw)
    for _ in range(limit):
        if not brackets:
            return True
        brackets, removed = _INNERMOST_PAIR.subn(b"", brackets)
        if not removed:
            return False  # unbalanced: not JSON at all
    return not brackets
