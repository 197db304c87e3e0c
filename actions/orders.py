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

from datetime import datetime
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from actions.base import Button, Reply, RetailAction, Turn
from actions.order_reading import requested_lines
from lang.confirmations import is_explicit_confirmation
from lang.times import parse_message_time
from retail.errors import OrderBusy, OrderClosed, PlanUnavailable, RecordNotFound
from retail.i18n import format_datetime, format_money
from retail.orders import (
    ChangePlan,
    ChangeResult,
    LineChange,
    LineRejection,
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
    show_order,
)

PLAN_SLOT = "order_plan"


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
        return Reply(texts=[render_order(turn, view)])


class ActionOrderChange(RetailAction):
    """Read the requested line changes and show them for confirmation (nothing is written)."""

    action_name = "action_order_change"

    def respond(self, turn: Turn) -> Reply:
        prefer = ordered_product_ids(turn.session, turn.principal, clock=turn.clock)
        entities = turn.tracker.latest_message.get("entities") or []
        requests = requested_lines(turn.session, turn.text, entities=entities, prefer=prefer)
        if not requests:
            return Reply(texts=[turn.t("order.change.ask")])
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
        return propose(turn, plan, title_key="order.change.title")


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
        return propose(turn, plan, title_key="order.repeat.title")


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
