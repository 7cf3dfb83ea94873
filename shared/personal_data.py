"""Masking of personal data (DESIGN §6: phone numbers, names, e-mail addresses are masked for roles that do not
need them). One way for every service, so that a contact reads the same wherever it is shown."""

from __future__ import annotations


def mask_name(name: str | None) -> str | None:
    return None if not name else name[0] + "*" * max(len(name) - 1, 1)


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return None
    digits = phone.strip()
    return digits[:3] + "****" + digits[-4:] if len(digits) >= 8 else "****"


def mask_email(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None if not email else "***"
    local, domain = email.split("@", 1)
    return f"{local[0]}***@{domain}"
