"""Orders: show this week's order, change lines with a confirmation, repeat last week's order.

A change never writes at once: ``action_order_change`` (and ``action_order_repeat_last``) show
the plan with 确认/取消 buttons whose payloads name the plan (``/affirm{"plan":"..."}``,
``/deny{"plan":"..."}``); the plan waits in the database (retail.orders.confirmations) and the
``order_plan`` slot remembers the newest one, so a typed "确认"/"取消" works too.
``action_order_confirm`` applies it, ``action_order_cancel`` drops it. The business rules all
live in ``retail/``; this module reads the tracker and renders the results.

A confirmation applies only what the user saw: a tap the plan its button names, a typed yes the
plan in the slot (never "the newest plan": with an empty slot it applies nothing and offers the
pending plan, if any), and only if that plan was shown before the yes was written (the bot
passes the Telegram message time as metadata ``message_time``; a yes typed during an outage and
replayed later does not confirm a plan offered meanwhile). When the order changed after the plan
was made, nothing is applied and the same changes are offered again on today's figures.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.base import Button, Reply, RetailAction, Turn
from actions.context import (
    ORDER_CHANGE,
    ORDER_SHOW,
    context_products,
    product_names,
    remember,
    variants_of,
)
from actions.conversation import user_text
from actions.order_reading import requested_lines
from lang.confirmations import is_cancellation, is_explicit_confirmation
from lang.order_changes import EllipticalChange, read_elliptical_change
from lang.times import parse_message_time
from retail.catalog import load_catalog
from retail.errors import OrderBusy, OrderClosed, PlanUnavailable, RecordNotFound
from retail.i18n import format_datetime, format_money
from retail.models import Product
from retail.orders import (
    ChangePlan,
    ChangeResult,
    LineChange,
    LineRejection,
    LineRequest,
    OrderMoved,
    OrderView,
    PlanShownLater,
    cancel_change,
    confirm_change,
    newest_pending,
    ordered_product_ids,
    pending_plan,
    plan_order_change,
    propose_change,
    refresh_plan,
    repeat_last_order,
    requests_of,
    show_order,
)

PLAN_SLOT = "order_plan"
QUANTITY_REQUEST_SLOT = "order_quantity_request"
"""The change waiting for its quantity (加点利群: JSON ``{"product_id", "action"}``); setting
it starts ``order_quantity_form`` (data/rules/followups.yml)."""


def message_ref(tracker: Tracker) -> str:
    """Which message this is, for the audit log: the Telegram update id the bot passed along,
    else Rasa's message id."""
    latest = tracker.latest_message or {}
    metadata = latest.get("metadata") or {}
    if isinstance(metadata, dict) and metadata.get("update_id") is not None:
        return f"tg:{metadata['update_id']}"
    message_id = latest.get("message_id")
    return f"rasa:{message_id}" if message_id else ""


def written_at(tracker: Tracker) -> datetime | None:
    """When the user wrote the latest message, from the bot's metadata ``message_time`` (the
    Telegram message date, kept when a retry replays the message later); None if not given."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    raw = metadata.get("message_time") if isinstance(metadata, dict) else None
    return parse_message_time(raw)


def product_label(turn: Turn, spec: str | None, name_en: str | None) -> str:
    """How a product is named: always the spec (芙蓉王(硬)); in English with its English name."""
    if turn.language == "en" and name_en:
        return f"{name_en} ({spec})"
    return spec or ""


def cartons(turn: Turn, count: int) -> str:
    """A quantity in 条 with its unit word (``3 条`` / ``3 cartons``)."""
    return turn.t("order.qty.one" if count == 1 else "order.qty.many", count=count)


def when(turn: Turn, moment: Any) -> str:
    """A moment in Asia/Shanghai in the turn's language."""
    return format_datetime(moment, turn.language)


def render_change(turn: Turn, change: LineChange) -> str:
    """One line of a plan or result: old -> new, naming the spec."""
    product = product_label(turn, change.spec, change.name_en)
    if change.old == 0:
        return turn.t("order.change.line_new", product=product, new=cartons(turn, change.new))
    if change.new == 0:
        return turn.t("order.change.line_removed", product=product, old=change.old)
    return turn.t(
        "order.change.line", product=product, old=change.old, new=cartons(turn, change.new)
    )


def render_rejection(turn: Turn, rejection: LineRejection) -> str:
    """Why one line was refused, and what is allowed instead."""
    product = product_label(turn, rejection.spec, rejection.name_en)
    params = dict(rejection.params)
    key = f"order.reject.{rejection.reason}"
    if rejection.reason == "quota" and not params.get("quota"):
        key = "order.reject.quota_none"
    elif rejection.reason == "discontinued":
        spec, name_en = params.get("replacement_spec"), params.get("replacement_name_en")
        if spec:
            params["replacement"] = product_label(turn, spec, name_en)
        else:
            key = "order.reject.discontinued_no_replacement"
    elif rejection.reason == "stock" and not params.get("available"):
        key = "order.reject.stock_none"
    elif rejection.reason == "packs" and not params.get("lower"):
        key = "order.reject.packs_small"
    elif rejection.reason == "unknown_product":
        suggestions = params.get("suggestions") or []
        if suggestions:
            key = "order.reject.unknown_product_suggest"
            params["suggestions"] = (", " if turn.language == "en" else "、").join(suggestions)
        params["phrase"] = rejection.phrase
    try:
        return turn.t(key, product=product, **params)
    except KeyError:
        return turn.t("order.reject.generic", product=product)


def _shortfall_line(
    turn: Turn, key: str, shortfall: Any, balance: Any, at: Any, deduct: Any
) -> str:
    return turn.t(
        key,
        balance=format_money(balance),
        reported_at=when(turn, at) if at else "",
        shortfall=format_money(shortfall),
        deduct_at=when(turn, deduct),
    )


def render_plan(turn: Turn, plan: ChangePlan, *, title_key: str) -> str:
    """The confirmation: old -> new per line, the new total, the shortfall, what was refused."""
    if not plan.changes:
        lines = [turn.t("order.change.nothing")]
        lines += [render_rejection(turn, r) for r in plan.rejections]
        return "\n".join(lines)
    lines = [turn.t(title_key)]
    lines += [render_change(turn, change) for change in plan.changes]
    lines.append(
        turn.t(
            "order.change.total",
            old_total=format_money(plan.old_total),
            new_total=format_money(plan.new_total),
        )
    )
    if plan.shortfall > 0:
        key = (
            "order.change.shortfall"
            if plan.balance_reported_at
            else "order.change.shortfall_unknown_time"
        )
        lines.append(
            _shortfall_line(
                turn, key, plan.shortfall, plan.balance, plan.balance_reported_at, plan.deduct_at
            )
        )
    if plan.rejections:
        lines.append(turn.t("order.change.rejected_title"))
        lines += [render_rejection(turn, r) for r in plan.rejections]
    lines.append(turn.t("order.change.confirm_hint"))
    return "\n".join(lines)


def render_result(turn: Turn, result: ChangeResult) -> str:
    """What a confirmation wrote, the new total and the funding position."""
    lines = [turn.t("order.applied.title" if result.applied else "order.applied.none")]
    lines += [render_change(turn, change) for change in result.applied]
    lines += [render_rejection(turn, r) for r in result.rejections]
    lines.append(turn.t("order.applied.total", total=format_money(result.new_total)))
    if result.shortfall > 0:
        lines.append(
            _shortfall_line(
                turn,
                "order.applied.shortfall",
                result.shortfall,
                result.balance,
                result.balance_reported_at,
                result.deduct_at,
            )
        )
    elif result.balance is not None:
        lines.append(turn.t("order.applied.funded", balance=format_money(result.balance)))
    if result.changed_meanwhile:
        lines.append(turn.t("order.applied.changed_meanwhile"))
    return "\n".join(lines)


def render_order(turn: Turn, view: OrderView) -> str:
    """This week's order: lines with spec, quantity, price and line total; total; status;
    window; deduction time; balance and shortfall."""
    state_key = f"order.state.{view.state}"
    state = turn.t(
        state_key if view.state in ("open", "closed", "locked", "deducted") else "order.state.other"
    )
    lines = [
        turn.t("order.show.title", cycle=view.cycle, state=state),
        turn.t(
            "order.show.window",
            opens_at=when(turn, view.opens_at),
            closes_at=when(turn, view.closes_at),
        ),
        turn.t("order.show.deduction", deduct_at=when(turn, view.deduct_at)),
    ]
    for line in view.lines:
        lines.append(
            turn.t(
                "order.show.line",
                product=product_label(turn, line.spec, line.name_en),
                quantity=cartons(turn, line.quantity),
                price=format_money(line.unit_price),
                total=format_money(line.line_total),
            )
        )
    if not view.lines:
        lines.append(turn.t("order.show.empty"))
    lines.append(turn.t("order.show.total", total=format_money(view.total)))
    if view.balance is None:
        lines.append(turn.t("order.show.balance_unknown"))
    else:
        lines.append(
            turn.t(
                "order.show.balance",
                balance=format_money(view.balance),
                reported_at=when(turn, view.balance_reported_at),
            )
        )
        if view.shortfall > 0:
            lines.append(turn.t("order.show.shortfall", shortfall=format_money(view.shortfall)))
    if view.state == "open":
        lines.append(turn.t("order.show.hint"))
    elif view.next_opening is not None:
        lines.append(turn.t("order.show.next_opening", opens_at=when(turn, view.next_opening)))
    return "\n".join(lines)


def render_closed(turn: Turn, error: OrderClosed) -> str:
    """The window is shut: say when it opens next."""
    opens_at = error.params.get("opens_at")
    if opens_at is None:
        return turn.t("order.closed_unknown")
    return turn.t("order.closed", opens_at=when(turn, opens_at))


def render_unavailable(turn: Turn, error: PlanUnavailable) -> str:
    """Why a confirmation or cancellation can no longer be used."""
    reason = str(error.params.get("reason", ""))
    key = f"order.plan.{reason}"
    if reason not in ("applied", "cancelled", "superseded", "expired", "unknown"):
        key = "order.plan.unavailable"
    return turn.t(key)


def propose(turn: Turn, plan: ChangePlan, *, title_key: str) -> Reply:
    """Keep a plan for confirmation and show it with confirm/cancel buttons (no buttons, and
    no pending plan, when nothing in it can be changed)."""
    if not plan.changes:
        return Reply(
            texts=[render_plan(turn, plan, title_key=title_key)], events=[SlotSet(PLAN_SLOT, None)]
        )
    plan_id = propose_change(turn.session, turn.principal, plan, clock=turn.clock)
    return Reply(
        texts=[render_plan(turn, plan, title_key=title_key)],
        buttons=_buttons(turn, plan_id),
        events=[SlotSet(PLAN_SLOT, plan_id)],
    )


def _buttons(turn: Turn, plan_id: str) -> list[Button]:
    """Confirm and cancel buttons whose payloads name the plan."""
    payload = f'{{"plan":"{plan_id}"}}'
    return [
        Button(turn.t("order.button.confirm"), f"/affirm{payload}"),
        Button(turn.t("order.button.cancel"), f"/deny{payload}"),
    ]


def _decided() -> list[dict[str, Any]]:
    """Once a confirmation or cancellation is handled, no typed 确认/取消 should reach a plan
    any more (the newest plan's buttons still work). Always cleared, so the dialogue rules
    stay simple: the confirm/cancel actions end with the slot empty."""
    return [SlotSet(PLAN_SLOT, None)]


def _requested_plan(turn: Turn) -> str | None:
    """The plan a tap names, else the one remembered from the last change (typed 确认/取消)."""
    return turn.entity("plan") or turn.tracker.get_slot(PLAN_SLOT)


class ActionOrderShow(RetailAction):
    """Show this week's order."""

    action_name = "action_order_show"

    def respond(self, turn: Turn) -> Reply:
        try:
            view = show_order(turn.session, turn.principal, clock=turn.clock)
        except RecordNotFound:
            return Reply(texts=[turn.t("order.none")])
        return Reply(texts=[render_order(turn, view)], events=remember(ORDER_SHOW))


def plan_specs(plan: ChangePlan) -> list[str]:
    """The specs a plan is about (accepted and refused lines), for the conversation context."""
    specs = [change.spec for change in plan.changes]
    return specs + [r.spec for r in plan.rejections if r.spec]


def _whole_cartons(quantity: int, unit: str) -> int | None:
    """``quantity`` ``unit`` in 条, or None when it is not a whole number of 条 (the planner
    then explains what packs may be ordered)."""
    if unit == "case":
        return quantity * 50
    if unit == "pack":
        return quantity // 10 if quantity % 10 == 0 else None
    return quantity


def make_plan(turn: Turn, requests: list[LineRequest], *, replacing: str | None = None) -> Reply:
    """Plan ``requests`` and offer the plan for confirmation, remembering its products.

    ``replacing`` is the pending plan a correction replaces: proposing a new plan supersedes it
    (retail.orders.propose_change), and when the correction leaves nothing to confirm it is
    cancelled, so the old figures cannot be confirmed any more either way.
    """
    try:
        plan = plan_order_change(
            turn.session,
            turn.principal,
            requests,
            clock=turn.clock,
            request_message=message_ref(turn.tracker),
        )
    except OrderClosed as error:
        return Reply(texts=[render_closed(turn, error)], events=[SlotSet(PLAN_SLOT, None)])
    reply = propose(turn, plan, title_key="order.change.title")
    if replacing and not plan.changes:
        try:
            cancel_change(turn.session, turn.principal, replacing, clock=turn.clock)
            reply.texts.append(turn.t("context.plan_dropped"))
        except PlanUnavailable:
            pass  # already decided, superseded or expired: nothing left to drop
    reply.events.extend(remember(ORDER_CHANGE, products=plan_specs(plan)))
    return reply


def _pending_offer(turn: Turn) -> ChangePlan | None:
    """The plan in the slot, while it can still be confirmed (None when there is none)."""
    plan_id = turn.tracker.get_slot(PLAN_SLOT)
    if not plan_id:
        return None
    try:
        return pending_plan(turn.session, turn.principal, plan_id, clock=turn.clock)
    except PlanUnavailable:
        return None


class ActionOrderChange(RetailAction):
    """Read the requested line changes and show them for confirmation (nothing is written).

    A message that names no product (改成4条, 再加两条, 不对,是4条, 换成软的, "make it 4",
    "add two more") corrects the change the conversation is about (:meth:`correct`). A change
    that names one product but no quantity (加点利群, "I want some Liqun") asks how many: it sets
    :data:`QUANTITY_REQUEST_SLOT`, which starts ``order_quantity_form``.
    """

    action_name = "action_order_change"

    def respond(self, turn: Turn) -> Reply:
        elliptical = read_elliptical_change(user_text(turn))
        if elliptical is not None:
            return self.correct(turn, elliptical)
        prefer = ordered_product_ids(turn.session, turn.principal, clock=turn.clock)
        entities = turn.tracker.latest_message.get("entities") or []
        requests = requested_lines(turn.session, turn.text, entities=entities, prefer=prefer)
        if not requests:
            return Reply(texts=[turn.t("order.change.ask")])
        [first, *others] = requests
        named = first.product_id is not None and first.action != "remove"
        if not others and named and first.quantity is None:
            return self._ask_quantity(turn, first)
        return make_plan(turn, requests)

    @staticmethod
    def _ask_quantity(turn: Turn, request: LineRequest) -> Reply:
        """Start the quantity form for a change without a quantity (the window must be open:
        asking how many for an order that cannot change would waste the user's answer)."""
        try:
            plan_order_change(turn.session, turn.principal, [], clock=turn.clock)
        except OrderClosed as error:
            return Reply(texts=[render_closed(turn, error)])
        product = next(p for p in load_catalog(turn.session) if p.id == request.product_id)
        asked = {"product_id": request.product_id, "action": request.action}
        return Reply(
            texts=[quantity_question(turn, asked, product)],
            events=[
                SlotSet(QUANTITY_REQUEST_SLOT, json.dumps(asked)),
                *remember(ORDER_CHANGE, products=[product.spec]),
            ],
        )

    def correct(self, turn: Turn, change: EllipticalChange) -> Reply:
        """Apply a change that names no product to the product in context: the single product
        the conversation is about, else the single line of the pending plan.

        The pending plan is replaced: its other lines are kept, the corrected line is planned
        again (an absolute quantity as said, 再加两条 on top of the plan's new quantity), and
        the new plan is offered. 换成软的 moves the line to the brand's soft spec.
        """
        plan = _pending_offer(turn)
        target = self._target(turn, plan)
        if target is None:
            return Reply(texts=[turn.t("context.which_product")])
        product = target
        if change.variant is not None:
            options = variants_of(turn, target, change.variant)
            if len(options) != 1:
                key = "context.no_variant" if not options else "context.which_variant"
                variant = turn.t(f"context.variant.{change.variant}")
                names = product_names(turn, options)
                return Reply(
                    texts=[
                        turn.t(
                            key,
                            product=product_names(turn, [target]),
                            variant=variant,
                            options=names,
                        )
                    ]
                )
            product = options[0]
        line = next((c for c in plan.changes if c.product_id == target.id), None) if plan else None
        request = self._request(change, product, line)
        if request is None:
            names = product_names(turn, [product])
            return Reply(
                texts=[turn.t("context.ask_quantity.set", product=names)],
                events=remember(ORDER_CHANGE, products=[product.spec]),
            )
        kept = [r for r in requests_of(plan) if r.product_id != target.id] if plan else []
        return make_plan(turn, [*kept, request], replacing=plan.plan_id if plan else None)

    @staticmethod
    def _target(turn: Turn, plan: ChangePlan | None) -> Product | None:
        """The one product a correction is about, or None when that is not clear."""
        products = context_products(turn)
        if len(products) == 1:
            return products[0]
        if plan is not None and len(plan.changes) == 1:
            product_id = plan.changes[0].product_id
            return next((p for p in load_catalog(turn.session) if p.id == product_id), None)
        return None

    @staticmethod
    def _request(
        change: EllipticalChange, product: Product, line: LineChange | None
    ) -> LineRequest | None:
        """The line request a correction makes on ``product``; None when it says no quantity
        and there is no planned line to take one from (then the user is asked)."""
        if change.quantity is None:
            if line is None:
                return None
            if line.action == "add" and line.amount >= 0:
                return LineRequest(product.id, "add", line.amount)
            if line.action == "add":
                return LineRequest(product.id, "reduce", -line.amount)
            return LineRequest(product.id, "set", line.amount)
        if (
            change.action in ("add", "reduce")
            and line is not None
            and line.product_id == product.id
        ):
            cartons = _whole_cartons(change.quantity, change.unit)
            delta = 0 if cartons is None else cartons if change.action == "add" else -cartons
            if cartons is not None and line.new + delta >= 0:
                return LineRequest(product.id, "set", line.new + delta)
        return LineRequest(product.id, change.action, change.quantity, change.unit)


class ActionOrderRepeatLast(RetailAction):
    """ "Same as last week": show the changes that would make this week's order match."""

    action_name = "action_order_repeat_last"

    def respond(self, turn: Turn) -> Reply:
        try:
            plan = repeat_last_order(
                turn.session,
                turn.principal,
                clock=turn.clock,
                request_message=message_ref(turn.tracker),
            )
        except OrderClosed as error:
            return Reply(texts=[render_closed(turn, error)], events=[SlotSet(PLAN_SLOT, None)])
        except RecordNotFound:
            return Reply(texts=[turn.t("order.repeat.none")])
        if not plan.changes and not plan.rejections:
            return Reply(texts=[turn.t("order.repeat.same")], events=[SlotSet(PLAN_SLOT, None)])
        reply = propose(turn, plan, title_key="order.repeat.title")
        reply.events.extend(remember(ORDER_CHANGE, products=plan_specs(plan)))
        return reply


class ActionOrderConfirm(RetailAction):
    """The user confirmed (tap or typed): apply the plan they were shown, exactly once.

    A typed affirm whose words are not a clear yes (the NLU also calls a lone emoji an affirm)
    applies nothing: the plan is offered again with its buttons and stays remembered. So does
    a typed yes written before the plan was shown. With no plan in the slot a typed yes
    applies nothing either: the pending plan, if there is one, is offered again. When the
    order moved since the plan was made, the same changes are planned again and offered.
    """

    action_name = "action_order_confirm"

    def respond(self, turn: Turn) -> Reply:
        tapped = turn.entity("plan")
        plan_id = tapped or turn.tracker.get_slot(PLAN_SLOT)
        if not plan_id:
            return self._nothing_named(turn)
        if tapped is None and not is_explicit_confirmation(turn.text):
            return self._ask_again(turn, plan_id)
        try:
            result = confirm_change(
                turn.session,
                turn.principal,
                plan_id,
                source_message=message_ref(turn.tracker),
                clock=turn.clock,
                written_at=None if tapped else written_at(turn.tracker),
            )
        except PlanShownLater:
            return self._ask_again(turn, plan_id, key="order.confirm.before_plan")
        except OrderMoved:
            return self._plan_again(turn, plan_id)
        except PlanUnavailable as error:
            return Reply(texts=[render_unavailable(turn, error)], events=_decided())
        except OrderClosed as error:
            return Reply(texts=[render_closed(turn, error)], events=_decided())
        except OrderBusy:
            # Every retry met a newer version; the plan is still pending, so offer it again.
            return Reply(
                texts=[turn.t("order.busy")], buttons=_buttons(turn, plan_id), events=_decided()
            )
        return Reply(texts=[render_result(turn, result)], events=_decided())

    @staticmethod
    def _ask_again(turn: Turn, plan_id: str, *, key: str = "order.confirm.unclear") -> Reply:
        """Offer the plan again with its buttons (``key`` says why); nothing is written."""
        try:
            plan = pending_plan(turn.session, turn.principal, plan_id, clock=turn.clock)
        except PlanUnavailable as error:
            return Reply(texts=[render_unavailable(turn, error)], events=_decided())
        assert plan.plan_id is not None
        texts = [turn.t(key)]
        if key != "order.confirm.unclear":
            texts.append(render_plan(turn, plan, title_key="order.change.title"))
        return Reply(
            texts=texts,
            buttons=_buttons(turn, plan.plan_id),
            events=[SlotSet(PLAN_SLOT, plan.plan_id)],
        )

    @staticmethod
    def _nothing_named(turn: Turn) -> Reply:
        """A yes with no plan offered in this conversation confirms nothing: offer the plan
        still pending, if any, or say there is none."""
        plan = newest_pending(turn.session, turn.principal, clock=turn.clock)
        if plan is None or plan.plan_id is None:
            return Reply(texts=[turn.t("order.plan.unknown")], events=_decided())
        return Reply(
            texts=[
                turn.t("order.confirm.which"),
                render_plan(turn, plan, title_key="order.change.title"),
            ],
            buttons=_buttons(turn, plan.plan_id),
            events=[SlotSet(PLAN_SLOT, plan.plan_id)],
        )

    @staticmethod
    def _plan_again(turn: Turn, plan_id: str) -> Reply:
        """The order changed since the plan was made: the same changes, planned against the
        order as it is now, offered for a fresh confirmation (the old plan is superseded)."""
        try:
            plan = refresh_plan(turn.session, turn.principal, plan_id, clock=turn.clock)
        except PlanUnavailable as error:
            return Reply(texts=[render_unavailable(turn, error)], events=_decided())
        except OrderClosed as error:
            return Reply(texts=[render_closed(turn, error)], events=_decided())
        offered = propose(turn, plan, title_key="order.change.title")
        return Reply(
            texts=[turn.t("order.confirm.order_changed"), *offered.texts],
            buttons=offered.buttons,
            events=offered.events,
        )


class ActionOrderCancel(RetailAction):
    """The user cancelled (tap or typed): drop the plan; the order is untouched."""

    action_name = "action_order_cancel"

    def respond(self, turn: Turn) -> Reply:
        plan_id = _requested_plan(turn)
        try:
            cancel_change(turn.session, turn.principal, plan_id, clock=turn.clock)
        except PlanUnavailable as error:
            return Reply(texts=[render_unavailable(turn, error)], events=_decided())
        return Reply(texts=[turn.t("order.cancelled")], events=_decided())


# ----------------------------------------------------------------------------- quantity form

QUANTITY_SLOT = "order_quantity"
QUANTITY_FORM = "order_quantity_form"
CANCELLED = "cancelled"
"""The form's answer when the user called the change off (算了, 不要了, cancel)."""


def _asked(tracker: Tracker) -> dict[str, Any] | None:
    """The change waiting for its quantity (see :data:`QUANTITY_REQUEST_SLOT`), if readable."""
    try:
        asked = json.loads(str(tracker.get_slot(QUANTITY_REQUEST_SLOT) or ""))
    except ValueError:
        return None
    if not isinstance(asked, dict) or not isinstance(asked.get("product_id"), int):
        return None
    return asked


def _answered_since_asked(tracker: Tracker) -> bool:
    """Whether the user wrote something after the form started (so this is a second ask)."""
    started = None
    for index, event in enumerate(tracker.events):
        if event.get("event") == "active_loop" and event.get("name") == QUANTITY_FORM:
            started = index
    if started is None:
        return False
    return any(event.get("event") == "user" for event in tracker.events[started:])


def read_quantity_answer(text: str) -> dict[str, Any] | None:
    """The form's answer as the slot keeps it: ``cancelled``, or a positive quantity with its
    unit (and ``add``/``reduce`` when the answer says so: 再加两条); None when it is neither."""
    if is_cancellation(text):
        return {"cancelled": True}
    change = read_elliptical_change(text)
    if change is None or change.quantity is None or change.quantity <= 0:
        return None
    action = change.action if change.action in ("add", "reduce") else None
    return {"quantity": change.quantity, "unit": change.unit, "action": action}


def quantity_question(turn: Turn, asked: dict[str, Any], product: Product) -> str:
    """How many 条 of ``product`` to order, add or take off (the action asked for)."""
    action = asked.get("action")
    key = f"context.ask_quantity.{action if action in ('add', 'reduce') else 'set'}"
    return turn.t(key, product=product_names(turn, [product]))


class ActionAskOrderQuantity(RetailAction):
    """The form's question. The first time it is already asked (action_order_change says it
    with the change it could not plan), so only an answer that was no quantity gets the
    question again, politely."""

    action_name = "action_ask_order_quantity"

    def respond(self, turn: Turn) -> Reply:
        if not _answered_since_asked(turn.tracker):
            return Reply()
        asked = _asked(turn.tracker)
        product = _product(turn, asked)
        if asked is None or product is None:
            return Reply(texts=[turn.t("order.change.ask")])
        again = turn.t("context.ask_quantity.again")
        return Reply(texts=[f"{again}\n{quantity_question(turn, asked, product)}"])


def _product(turn: Turn, asked: dict[str, Any] | None) -> Product | None:
    if asked is None:
        return None
    return next((p for p in load_catalog(turn.session) if p.id == asked["product_id"]), None)


class ValidateOrderQuantityForm(FormValidationAction):
    """Reads the answer with lang's quantity reader; a cancel word ends the form (nothing is
    written), anything else that is no positive quantity is asked again."""

    def name(self) -> str:
        return "validate_order_quantity_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """No change waiting for a quantity (a stale slot): nothing to ask."""
        return domain_slots if _asked(tracker) is not None else []

    def validate_order_quantity(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """Keep the answer as JSON, or clear the slot so the form asks again."""
        text = str(slot_value or "").strip()
        answer = None if not text or text.startswith("/") else read_quantity_answer(text)
        if answer is None:
            return {QUANTITY_SLOT: None}
        return {QUANTITY_SLOT: CANCELLED if answer.get("cancelled") else json.dumps(answer)}


class ActionOrderQuantitySubmit(RetailAction):
    """The form is done: plan the change with the quantity given and offer it as usual, or,
    when the user called it off, say that nothing changed."""

    action_name = "action_order_quantity_submit"

    def respond(self, turn: Turn) -> Reply:
        reset = [SlotSet(QUANTITY_REQUEST_SLOT, None), SlotSet(QUANTITY_SLOT, None)]
        asked = _asked(turn.tracker)
        raw = str(turn.tracker.get_slot(QUANTITY_SLOT) or "")
        if asked is None or raw == CANCELLED or not raw:
            return Reply(texts=[turn.t("context.quantity_cancelled")], events=reset)
        answer = json.loads(raw)
        request = LineRequest(
            asked["product_id"],
            answer.get("action") or asked.get("action") or "set",
            int(answer["quantity"]),
            answer.get("unit") or "carton",
        )
        reply = make_plan(turn, [request])
        reply.events[:0] = reset
        return reply
