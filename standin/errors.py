"""The errors the stand-in answers with, worded as Telegram words them.

Bots match on Telegram's descriptions ("Forbidden: bot was blocked by the user"), so the
stand-in keeps them verbatim; python-telegram-bot turns the HTTP status into its exception types
(400 BadRequest, 403 Forbidden, 409 Conflict, 429 RetryAfter).
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A failed call: becomes ``{"ok": false, "error_code": ..., "description": ...}``."""

    def __init__(self, error_code: int, description: str, *, retry_after: int | None = None):
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after

    def as_json(self) -> dict[str, Any]:
        """The response body Telegram would send for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(reason: str) -> ApiError:
    """400 with Telegram's ``Bad Request: ...`` prefix."""
    return ApiError(400, f"Bad Request: {reason}")


def forbidden(reason: str) -> ApiError:
    """403 with Telegram's ``Forbidden: ...`` prefix."""
    return ApiError(403, f"Forbidden: {reason}")


def conflict(reason: str) -> ApiError:
    """409 with Telegram's ``Conflict: ...`` prefix."""
    return ApiError(409, f"Conflict: {reason}")


def too_many_requests(retry_after: int) -> ApiError:
    """429 carrying ``parameters.retry_after`` so clients know how long to wait."""
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


def not_found() -> ApiError:
    """404, as Telegram answers an unknown method or a missing file."""
    return ApiError(404, "Not Found")
