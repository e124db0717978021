"""A segment's audience as a condition on player_profiles: the rule tree compiled to SQLAlchemy expressions, every
value bound as a parameter (a rule never becomes SQL text). Rule properties are the profile's column names."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import ColumnElement, Table, and_, not_, or_

from src.adapters.sqla.models.segments import PlayerProfileRow
from src.application.liveops.segment_ports import Audience
from src.domain.liveops.rfm import RfmGroup
from src.domain.liveops.rules import All, Compare, In, Not, Rule

PROFILES = cast(Table, PlayerProfileRow.__table__)

_OPERATORS = {
    "=": lambda column, value: column == value,
    "!=": lambda column, value: column != value,
    "<": lambda column, value: column < value,
    "<=": lambda column, value: column <= value,
    ">": lambda column, value: column > value,
    ">=": lambda column, value: column >= value,
}


def audience_sql(audience: Audience) -> ColumnElement[bool]:
    if isinstance(audience, RfmGroup):
        return PROFILES.c.rfm == audience.value
    return rule_sql(audience)


def rule_sql(rule: Rule) -> ColumnElement[bool]:
    if isinstance(rule, Compare):
        return cast(ColumnElement[bool], _OPERATORS[rule.op](PROFILES.c[rule.prop], rule.value))
    if isinstance(rule, In):
        column: Any = PROFILES.c[rule.prop]
        return cast(ColumnElement[bool], column.not_in(rule.values) if rule.negated else column.in_(rule.values))
    if isinstance(rule, Not):
        return not_(rule_sql(rule.item))
    if isinstance(rule, All):
        return and_(*(rule_sql(item) for item in rule.items))
    return or_(*(rule_sql(item) for item in rule.items))
