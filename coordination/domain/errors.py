"""Errors the domain and services raise; the web layer maps each to one HTTP status."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class DomainError(Exception):
    code = "error"

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class ValidationError(DomainError):
    """Input refused; `fields` maps each field name to its French messages (HTTP 422)."""

    code = "validation_failed"

    def __init__(self, fields: Mapping[str, list[str] | str],
                 message: str = "Certaines informations sont invalides.") -> None:
        normalised = {name: [msgs] if isinstance(msgs, str) else list(msgs)
                      for name, msgs in fields.items()}
        super().__init__(message, {"fields": normalised})
        self.fields = normalised


# Primary keys are INTEGER columns: 32-bit on PostgreSQL. A larger number names nothing
# (404 in a URL, 422 in a body) instead of overflowing the query.
MAX_ID = 2**31 - 1


def is_id(value: object) -> bool:
    """A database id as it may arrive in JSON: a positive int (not a bool), 32-bit."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def as_id(text: str | None) -> int | None:
    """An id typed in a URL or a form ("12"), or None for anything else ("", "²", "1e3",
    a number beyond 64 bits)."""
    text = (text or "").strip()
    if not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if is_id(value) else None


def as_page(text: str | None) -> int:
    """A page number from a query string: 1 when absent or unreadable, at most 10⁶."""
    return min(as_id(text) or 1, 10**6)


class NotFound(DomainError):
    """Absent, or not visible to the person asking: both look the same (HTTP 404)."""

    code = "not_found"

    def __init__(self, message: str = "Introuvable.") -> None:
        super().__init__(message)


class Conflict(DomainError):
    """Not possible in the current state: forbidden event, stale version, duplicate (409)."""

    code = "conflict"


class StaleVersion(Conflict):
    """The client's `If-Match` (or `version`) is no longer the current one (409)."""

    code = "stale_version"


def check_version(current: int, expected: int | None, what: str,
                  **details: object) -> None:
    """Optimistic concurrency: the version the client last saw must still be the current
    one (None: the client did not say, last write wins)."""
    if expected is not None and expected != current:
        raise StaleVersion(f"Quelqu'un d'autre a modifié {what} entre-temps : rechargez avant de "
                       "recommencer.",
                       {"current_version": current, "your_version": expected, **details})


class AuthenticationFailed(DomainError):
    code = "authentication_failed"


class TooManyRequests(DomainError):
    """Rate limit reached (HTTP 429); `retry_after` seconds until the window ends."""

    code = "too_many_requests"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, {"retry_after": retry_after})
        self.retry_after = retry_after
