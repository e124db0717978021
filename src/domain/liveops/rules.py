"""The custom segment rule language: a small expression over documented player properties, parsed by our own
recursive-descent parser (never `eval`). Grammar, lowest precedence first:

    rule       := or
    or         := and ("or" and)*
    and        := unary ("and" unary)*
    unary      := "not" unary | "(" or ")" | comparison
    comparison := PROPERTY op literal | PROPERTY ["not"] "in" "(" literal ("," literal)* ")"
    op         := "=" | "==" | "!=" | "<" | "<=" | ">" | ">="
    literal    := INTEGER | STRING ('…' or "…")

Keywords are case-insensitive; properties are the names in PROPERTIES, each a whole number or a text. A rule that
does not parse, names an unknown property or compares a property with a value of the other type is refused with
the 0-based character position of the problem.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from src.domain.shared.errors import InvalidInput

MAX_RULE_LENGTH = 2000
MAX_DEPTH = 32  # nesting of parentheses and `not`: a rule is a filter, not a program
MAX_IN_VALUES = 100


class Kind(Enum):
    INT = "integer"
    TEXT = "text"


# what a rule may read: each property's type and what it means (the recompute stores them per player)
PROPERTIES: Mapping[str, tuple[Kind, str]] = {
    "rank": (Kind.TEXT, "STANDARD, PREMIUM or VIP"),
    "vip_tier": (Kind.INT, "VIP tier, 0 and up"),
    "rfm": (Kind.TEXT, "RFM group: Whale, High, Medium, Low or At-risk"),
    "ltv_cents": (Kind.INT, "lifetime value estimate, cents"),
    "churn_risk": (Kind.INT, "churn risk score, 0-100"),
    "total_spent_cents": (Kind.INT, "net spend to date, cents (captured less refunded)"),
    "spent_30d_cents": (Kind.INT, "net spend over the last 30 days, cents"),
    "plays_30d": (Kind.INT, "plays over the last 30 days"),
    "purchases_30d": (Kind.INT, "captured purchases over the last 30 days"),
    "days_since_last_play": (Kind.INT, "days since the last play or purchase (since signup if none)"),
    "days_since_last_login": (Kind.INT, "days since the last login (since signup if none)"),
    "days_since_signup": (Kind.INT, "days since signup"),
    "streak": (Kind.INT, "current daily streak"),
}

Literal = int | str


@dataclass(frozen=True)
class Compare:
    prop: str
    op: str
    value: Literal


@dataclass(frozen=True)
class In:
    prop: str
    values: tuple[Literal, ...]
    negated: bool = False


@dataclass(frozen=True)
class Not:
    item: Rule


@dataclass(frozen=True)
class All:
    items: tuple[Rule, ...]


@dataclass(frozen=True)
class Any_:
    items: tuple[Rule, ...]


Rule = Compare | In | Not | All | Any_


class RuleError(InvalidInput):
    """A rule the grammar refuses; `position` is the 0-based offset in the rule's text."""

    def __init__(self, message: str, position: int) -> None:
        text = f"{message} at position {position}"
        field = {"key": "rule", "message": text, "source": "body", "position": position}
        super().__init__(text, details={"fields": [field], "position": position})
        self.position = position


_TOKEN = re.compile(
    r"""\s*(?:
      (?P<int>-?\d+)
    | (?P<str>'[^']*'|"[^"]*")
    | (?P<op>==|!=|<=|>=|=|<|>)
    | (?P<punct>[(),])
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)
KEYWORDS = ("and", "or", "not", "in")


@dataclass(frozen=True)
class Token:
    kind: str  # int, str, op, punct, word, keyword, end
    text: str
    position: int


def tokenize(source: str) -> list[Token]:
    tokens: list[Token] = []
    offset = 0
    while True:
        while offset < len(source) and source[offset].isspace():
            offset += 1
        if offset >= len(source):
            tokens.append(Token("end", "", offset))
            return tokens
        match = _TOKEN.match(source, offset)
        if match is None or match.lastgroup is None:
            raise RuleError(f"unexpected character {source[offset]!r}", offset)
        kind, text = match.lastgroup, match.group(match.lastgroup)
        position = match.start(kind)
        if kind == "word" and text.lower() in KEYWORDS:
            kind, text = "keyword", text.lower()
        tokens.append(Token(kind, text, position))
        offset = match.end()


class _Parser:
    def __init__(self, source: str) -> None:
        self.tokens = tokenize(source)
        self.index = 0
        self.depth = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def take(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def at_keyword(self, word: str) -> bool:
        return self.current.kind == "keyword" and self.current.text == word

    def expect(self, kind: str, text: str, what: str) -> Token:
        if self.current.kind != kind or self.current.text != text:
            raise RuleError(f"expected {what}, found {_describe(self.current)}", self.current.position)
        return self.take()

    def rule(self) -> Rule:
        parsed = self.disjunction()
        if self.current.kind != "end":
            raise RuleError(f"expected 'and', 'or' or the end, found {_describe(self.current)}", self.current.position)
        return parsed

    def disjunction(self) -> Rule:
        items = [self.conjunction()]
        while self.at_keyword("or"):
            self.take()
            items.append(self.conjunction())
        return items[0] if len(items) == 1 else Any_(tuple(items))

    def conjunction(self) -> Rule:
        items = [self.unary()]
        while self.at_keyword("and"):
            self.take()
            items.append(self.unary())
        return items[0] if len(items) == 1 else All(tuple(items))

    def unary(self) -> Rule:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise RuleError(f"nested deeper than {MAX_DEPTH} levels", self.current.position)
        try:
            if self.at_keyword("not"):
                self.take()
                return Not(self.unary())
            if self.current.kind == "punct" and self.current.text == "(":
                self.take()
                inner = self.disjunction()
                self.expect("punct", ")", "')'")
                return inner
            return self.comparison()
        finally:
            self.depth -= 1

    def comparison(self) -> Rule:
        name = self.current
        if name.kind != "word":
            raise RuleError(f"expected a property name, found {_describe(name)}", name.position)
        if name.text not in PROPERTIES:
            raise RuleError(f"unknown property {name.text!r} (known: {', '.join(PROPERTIES)})", name.position)
        self.take()
        kind = PROPERTIES[name.text][0]
        if self.at_keyword("not") or self.at_keyword("in"):
            negated = self.take().text == "not"
            if negated:
                self.expect("keyword", "in", "'in' after 'not'")
            return In(name.text, self.value_list(kind), negated)
        if self.current.kind != "op":
            raise RuleError(
                f"expected a comparison after {name.text!r}, found {_describe(self.current)}", self.current.position
            )
        op = self.take().text
        op = "=" if op == "==" else op
        if kind is Kind.TEXT and op not in ("=", "!="):
            raise RuleError(f"{name.text!r} is a text: compare it with = or != (or use in)", name.position)
        return Compare(name.text, op, self.literal(kind, name.text))

    def value_list(self, kind: Kind) -> tuple[Literal, ...]:
        self.expect("punct", "(", "'(' to open the list")
        values = [self.literal(kind, "the list")]
        while self.current.kind == "punct" and self.current.text == ",":
            self.take()
            values.append(self.literal(kind, "the list"))
            if len(values) > MAX_IN_VALUES:
                raise RuleError(f"a list holds at most {MAX_IN_VALUES} values", self.current.position)
        self.expect("punct", ")", "',' or ')'")
        return tuple(values)

    def literal(self, kind: Kind, subject: str) -> Literal:
        token = self.current
        if token.kind == "int" and kind is Kind.INT:
            self.take()
            value = int(token.text)
            if abs(value) >= 2**62:
                raise RuleError("number out of range", token.position)
            return value
        if token.kind == "str" and kind is Kind.TEXT:
            self.take()
            return token.text[1:-1]
        if token.kind in ("int", "str"):
            raise RuleError(
                f"{subject} takes {'a whole number' if kind is Kind.INT else 'a quoted text'}", token.position
            )
        raise RuleError(f"expected a value, found {_describe(token)}", token.position)


def _describe(token: Token) -> str:
    return "the end of the rule" if token.kind == "end" else repr(token.text)


def parse(source: str) -> Rule:
    """The rule's syntax tree; RuleError (a 400) with the position of the first problem."""
    if len(source) > MAX_RULE_LENGTH:
        raise RuleError(f"a rule is at most {MAX_RULE_LENGTH} characters", MAX_RULE_LENGTH)
    if not source.strip():
        raise RuleError("the rule is empty", 0)
    return _Parser(source).rule()


_COMPARE = {
    "=": lambda left, right: left == right,
    "!=": lambda left, right: left != right,
    "<": lambda left, right: left < right,
    "<=": lambda left, right: left <= right,
    ">": lambda left, right: left > right,
    ">=": lambda left, right: left >= right,
}


def matches(rule: Rule, player: Mapping[str, Literal]) -> bool:
    """Whether a player's properties satisfy the rule (the same meaning as the SQL the store runs)."""
    if isinstance(rule, Compare):
        return bool(_COMPARE[rule.op](player[rule.prop], rule.value))
    if isinstance(rule, In):
        return (player[rule.prop] in rule.values) is not rule.negated
    if isinstance(rule, Not):
        return not matches(rule.item, player)
    if isinstance(rule, All):
        return all(matches(item, player) for item in rule.items)
    return any(matches(item, player) for item in rule.items)
