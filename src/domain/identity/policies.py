"""Input rules for accounts: identifiers, nicknames, passwords, contact details, devices."""

from __future__ import annotations

import re
from collections.abc import Container

from src.domain.shared.errors import InvalidInput

SITE_ID_PATTERN = re.compile(r"^[a-z0-9_]{3,32}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
PHONE_PATTERN = re.compile(r"^\+?[0-9]{7,15}$")
NICKNAME_MIN, NICKNAME_MAX = 2, 24
PASSWORD_MIN, PASSWORD_MAX = 8, 128
MAX_VIP_TIER = 10


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput(message, details={"fields": [{"key": field, "message": message, "source": "body"}]})


def normalise_site_id(site_id: str) -> str:
    return site_id.strip().lower()


def check_site_id(site_id: str) -> str:
    normalised = normalise_site_id(site_id)
    if not SITE_ID_PATTERN.match(normalised):
        raise _invalid("site_id", "site_id must be 3-32 characters of a-z, 0-9 and _")
    return normalised


def nickname_key(nickname: str) -> str:
    """Nicknames are unique regardless of case."""
    return nickname.strip().casefold()


def check_nickname(nickname: str) -> str:
    cleaned = nickname.strip()
    if not NICKNAME_MIN <= len(cleaned) <= NICKNAME_MAX or not cleaned.isprintable():
        raise _invalid("nickname", f"nickname must be {NICKNAME_MIN}-{NICKNAME_MAX} printable characters")
    return cleaned


def check_password(password: str, common_passwords: Container[str]) -> None:
    """Length only (NIST 800-63B): no composition rules, but never a well-known password."""
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise _invalid("password", f"password must be {PASSWORD_MIN}-{PASSWORD_MAX} characters")
    if password.lower() in common_passwords:
        raise _invalid("password", "this password is too common; choose another")


def check_vip_tier(vip_tier: int) -> int:
    if not 0 <= vip_tier <= MAX_VIP_TIER:
        raise _invalid("vip_tier", f"vip_tier must be between 0 and {MAX_VIP_TIER}")
    return vip_tier


def check_email(email: str | None) -> str | None:
    if email is None or not email.strip():
        return None
    cleaned = email.strip()
    if len(cleaned) > 254 or not EMAIL_PATTERN.match(cleaned):
        raise _invalid("email", "email is not a valid address")
    return cleaned


def check_phone_number(phone_number: str | None) -> str | None:
    if phone_number is None or not phone_number.strip():
        return None
    cleaned = re.sub(r"[\s\-().]", "", phone_number)
    if not PHONE_PATTERN.match(cleaned):
        raise _invalid("phone_number", "phone_number must be 7-15 digits, optionally starting with +")
    return cleaned


_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iPadOS"), ("Windows", "Windows"))
_SYSTEMS_2 = (("Mac OS X", "macOS"), ("Linux", "Linux"))


def describe_device(user_agent: str) -> str:
    """A short label such as "Chrome on Windows" for the sessions list."""
    browser = next((name for marker, name in _BROWSERS if marker in user_agent), None)
    system = next((name for marker, name in (*_SYSTEMS, *_SYSTEMS_2) if marker in user_agent), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or (user_agent[:40] if user_agent else "unknown device")
