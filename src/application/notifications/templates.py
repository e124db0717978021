"""Email templates: each renders a subject, a plain-text part and an HTML part (values escaped for HTML)."""

from __future__ import annotations

import html
from dataclasses import dataclass
from string import Template
from typing import Any

from src.domain.notifications.model import field_error


@dataclass(frozen=True)
class EmailTemplate:
    notification_type: str  # the preference that switches this mail off
    subject: str
    text: str
    html: str


_LAYOUT = "<!doctype html><html><body><h1>$heading</h1>$content<p>— Casino-Club</p></body></html>"

TEMPLATES: dict[str, EmailTemplate] = {
    "welcome": EmailTemplate(
        "system",
        "Welcome to Casino-Club, $nickname",
        "Hi $nickname,\n\nyour account is ready and your starting coins are waiting.\n\n— Casino-Club",
        "<p>Hi $nickname,</p><p>your account is ready and your starting coins are waiting.</p>",
    ),
    "reward": EmailTemplate(
        "reward",
        "You received $amount $currency",
        "Hi $nickname,\n\n$amount $currency were added to your balance ($source).\n\n— Casino-Club",
        "<p>Hi $nickname,</p><p><strong>$amount $currency</strong> were added to your balance ($source).</p>",
    ),
    "purchase_receipt": EmailTemplate(
        "purchase",
        "Your receipt for $sku",
        "Hi $nickname,\n\nthank you for your purchase.\nTransaction: $transaction_id\nItem: $sku\n"
        "Amount: $amount $currency\nGems: $gems\n\n— Casino-Club",
        "<p>Hi $nickname,</p><p>thank you for your purchase.</p><table><tr><td>Transaction</td>"
        "<td>$transaction_id</td></tr><tr><td>Item</td><td>$sku</td></tr><tr><td>Amount</td>"
        "<td>$amount $currency</td></tr><tr><td>Gems</td><td>$gems</td></tr></table>",
    ),
    "campaign": EmailTemplate(
        "campaign",
        "$title",
        "Hi $nickname,\n\n$body\n\n— Casino-Club",
        "<p>Hi $nickname,</p><p>$body</p>",
    ),
}


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def template_named(name: str) -> EmailTemplate:
    template = TEMPLATES.get(name)
    if template is None:
        raise field_error("template", f"template is one of {', '.join(TEMPLATES)}")
    return template


def render(name: str, context: dict[str, Any]) -> RenderedEmail:
    """Missing values render as empty text rather than failing a send."""
    template = template_named(name)
    parts = (template.subject, template.text, template.html)
    names = {name for part in parts for name in Template(part).get_identifiers()}
    plain = dict.fromkeys(names, "") | {key: str(value) for key, value in context.items()}
    subject = Template(template.subject).safe_substitute(plain).replace("\n", " ").strip()
    escaped = {key: html.escape(value) for key, value in plain.items()}
    content = Template(template.html).safe_substitute(escaped)
    page = Template(_LAYOUT).safe_substitute(heading=html.escape(subject), content=content)
    return RenderedEmail(subject, Template(template.text).safe_substitute(plain), page)
