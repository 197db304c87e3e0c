"""Domain exceptions. Each carries a message key and parameters that adapters render politely."""

from __future__ import annotations

from typing import Any


class RetailError(Exception):
    """Base of every business-rule failure; ``key`` names the user-facing message."""

    key = "error.generic"

    def __init__(self, **params: Any) -> None:
        super().__init__(f"{self.key} {params}" if params else self.key)
        self.params = params


class NotBound(RetailError):
    """The Telegram account is not linked to any retailer or manager."""

    key = "error.not_bound"


class NotYourShop(RetailError):
    """The shop exists but lies outside what this user may see."""

    key = "error.not_your_shop"


class RecordNotFound(RetailError):
    """No record matches."""

    key = "error.not_found"


class ProductNotFound(RetailError):
    """No catalog product matches the words given; ``suggestions`` may hold near misses."""

    key = "price.unknown"


class BindingFailed(RetailError):
    """A binding attempt (phone or code) did not match, was used, or expired."""

    key = "bind.failed"


class WrongRole(RetailError):
    """The request is for another kind of user (a manager asking a retailer-only thing)."""

    key = "error.wrong_role"
