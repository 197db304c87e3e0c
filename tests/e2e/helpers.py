"""Small helpers shared by the end-to-end tests."""

from __future__ import annotations

import itertools
import json
import urllib.error
import urllib.request
from typing import Any

from sqlalchemy import select

from retail import access
from retail.clock import SystemClock
from retail.db import Database
from retail.i18n import format_money
from retail.models import Order, Product
from retail.orders import current_order
from scripts.stack import Stack
from trust import signed_metadata

# Update ids for messages posted straight to Rasa: far above the stand-in's, so an order audit
# row never mistakes one for a Telegram update.
_update_ids = itertools.count(900_000_000)


def wholesale(database: Database, spec: str) -> str:
    """A product's wholesale price per 条 as the bot shows it (¥1,234.00), from the database."""
    with database.session() as session:
        product = session.scalar(select(Product).where(Product.spec == spec))
        assert product is not None, spec
        return format_money(product.wholesale_per_carton)


def signed_body(stack: Stack, sender: str, text: str) -> dict[str, Any]:
    """A REST webhook body as the bot sends it: the message, signed for ``sender`` with the
    stack's BOT_SIGNING_SECRET (trust/)."""
    metadata = signed_metadata(
        stack.signing_secret, sender=sender, text=text, metadata={"update_id": next(_update_ids)}
    )
    return {"sender": sender, "message": text, "metadata": metadata}


def post_json(url: str, body: object, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """POST ``body`` as JSON; the status and the decoded answer, also for 4xx answers."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def rest(stack: Stack, sender: str, text: str) -> tuple[int, list[dict[str, Any]]]:
    """Post a signed message to Rasa's REST webhook as the bot would; (status, replies)."""
    return post_json(f"{stack.rasa_url}/webhooks/rest/webhook", signed_body(stack, sender, text))


def current_order_of(session: Any, user: int) -> Order:
    """A demo user's current order (the e2e database has one for each retailer)."""
    retailer_id = access.principal_for(session, user).retailer_id
    assert retailer_id is not None
    order = current_order(session, retailer_id, clock=SystemClock())
    assert order is not None
    return order


def quantities(database: Database, user: int) -> dict[str, int]:
    """The spec -> quantity lines of a demo user's current order, from the database."""
    with database.session() as session:
        specs = {p.id: p.spec for p in session.scalars(select(Product))}
        order = current_order_of(session, user)
        return {specs[line.product_id]: line.quantity for line in order.lines}
