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


class OrderClosed(RetailError):
    """The order window is shut: no line can change until ``opens_at`` (None if unknown)."""

    key = "order.closed"


class OrderLineRejected(RetailError):
    """One requested line change breaks a rule; the other lines of the same message still apply.

    ``reason`` names the rule (the message key is ``order.reject.<reason>``); the other
    parameters say what is allowed instead (a quota, the stock, a replacement).
    """

    key = "order.reject"


class QuotaExceeded(OrderLineRejected):
    """A limited product over the retailer's star-level quota (控量)."""


class ProductDiscontinued(OrderLineRejected):
    """A discontinued product cannot be ordered; ``replacement`` names what replaced it."""


class InsufficientStock(OrderLineRejected):
    """The warehouse cannot supply the increase; ``available`` says how much it can."""


class PlanUnavailable(RetailError):
    """A confirmation that can no longer be applied: ``reason`` is unknown, expired, superseded,
    applied or cancelled. Nothing was written."""

    key = "order.plan.unavailable"


class OrderBusy(RetailError):
    """The order kept changing under us (every optimistic retry met a newer version)."""

    key = "order.busy"


class ManagersOnly(RetailError):
    """A manager flow (visit notes, visit plan, territory look-ups) asked by someone else."""

    key = "visit.managers_only"


class VisitShopUnknown(RetailError):
    """A visit note or query names no shop of the manager's territory."""

    key = "visit.shop_unknown"


class VisitShopAmbiguous(RetailError):
    """The words fit several shops of the territory; ``shops`` lists them, ``codes`` their codes."""

    key = "visit.shop_ambiguous"


class VisitUnavailable(RetailError):
    """A visit note that cannot be saved, cancelled, amended or confirmed any more: ``reason``
    is unknown, saved, cancelled or superseded. Nothing was written."""

    key = "visit.unavailable"


class NothingToAmend(RetailError):
    """The manager has no recent note to correct."""

    key = "visit.nothing_to_amend"


class AmendNotUnderstood(RetailError):
    """A correction whose change could not be read (no count, shop, day or product in it)."""

    key = "visit.amend_not_understood"
