"""Settlement status and deposit claims.

The status is the bank's last reported balance (with its time), this week's amount due, the
deduction time, and any shortfall with its deadline. "I deposited X" is offered back for one
tap (``/deposit_confirm{"ref": "<amount>:<message ref>"}``) and then recorded as the retailer's
claim, never as balance, and passed to their manager; "I'll deposit this afternoon" only gets
the amount and deadline. The words are read by lang.amounts; retail.settlement.deposits takes
the amount.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from actions.base import Button, Reply, RetailAction, Turn
from actions.context import SETTLEMENT, remember
from actions.conversation import find_user_text, message_ref, payload, split_ref, user_text
from actions.support import cancel_button
from lang.amounts import read_deposit_statement
from retail.i18n import format_datetime, format_money
from retail.settlement import SettlementStatus, check_amount, report_deposit, settlement_status

NO_AMOUNT = "-"


def render_status(turn: Turn, status: SettlementStatus) -> str:
    """Balance with its report time, amount due, deduction time, shortfall and deadline."""
    lang = turn.language
    lines = [turn.t("settlement.header", shop=status.retailer_name)]
    if status.balance is None or status.balance_reported_at is None:
        lines.append(turn.t("settlement.no_balance"))
    else:
        lines.append(
            turn.t(
                "settlement.balance",
                balance=format_money(status.balance),
                at=format_datetime(status.balance_reported_at, lang),
            )
        )
    if status.deduct_at is None:
        lines.append(turn.t("settlement.no_order"))
        return "\n".join(lines)
    lines.append(turn.t("settlement.due", due=format_money(status.amount_due)))
    lines.append(turn.t("settlement.deduct_at", at=format_datetime(status.deduct_at, lang)))
    if status.balance is None:
        lines.append(turn.t("settlement.unknown_shortfall", due=format_money(status.amount_due)))
    elif status.is_short:
        lines.append(
            turn.t(
                "settlement.short",
                shortfall=format_money(status.shortfall),
                deadline=format_datetime(status.deduct_at, lang),
            )
        )
    else:
        lines.append(turn.t("settlement.enough"))
    if status.claimed_since_report > 0:
        lines.append(turn.t("settlement.claimed", amount=format_money(status.claimed_since_report)))
    return "\n".join(lines)


class ActionSettlementStatus(RetailAction):
    """Show the retailer's own e-settlement position."""

    action_name = "action_settlement_status"

    def respond(self, turn: Turn) -> Reply:
        status = settlement_status(turn.session, turn.principal, clock=turn.clock)
        return Reply(texts=[render_status(turn, status)], events=remember(SETTLEMENT))


class ActionPaymentNotice(RetailAction):
    """ "I deposited 2000" (offer to record it) or "I'll deposit later" (say how much, by when)."""

    action_name = "action_payment_notice"

    def respond(self, turn: Turn) -> Reply:
        status = settlement_status(turn.session, turn.principal, clock=turn.clock)
        # The NLU's amount entity (a number, nlu/components.py NumeralNormalizer) comes first;
        # lang.amounts reads the text when it has none.
        entity = next(turn.tracker.get_latest_entity_values("amount"), None)
        statement = read_deposit_statement(user_text(turn), amount_entity=entity)
        if not statement.done:
            return Reply(texts=[self._promise(turn, status)])
        check_amount(statement.amount)
        amount = statement.amount
        ref = f"{amount if amount is not None else NO_AMOUNT}:{message_ref(turn.tracker)}"
        key = "deposit.offer" if amount is not None else "deposit.offer_no_amount"
        text = turn.t(key, amount=format_money(amount) if amount is not None else "")
        confirm = Button(turn.t("deposit.confirm_button"), payload("deposit_confirm", ref))
        return Reply(texts=[text], buttons=[confirm, cancel_button(turn)])

    @staticmethod
    def _promise(turn: Turn, status: SettlementStatus) -> str:
        if status.deduct_at is not None and status.is_short:
            return turn.t(
                "deposit.promise_short",
                shortfall=format_money(status.shortfall),
                deadline=format_datetime(status.deduct_at, turn.language),
            )
        return turn.t("deposit.promise")


class ActionDepositConfirm(RetailAction):
    """The retailer confirmed their deposit claim: record it and tell the manager, once per
    offer (the button's ref is the key: a double or replayed tap is answered, not recorded)."""

    action_name = "action_deposit_confirm"

    def respond(self, turn: Turn) -> Reply:
        ref = turn.entity("ref")
        parts = split_ref(ref, parts=2)
        if parts is None:
            return Reply(texts=[turn.t("button.expired")])
        try:
            amount = None if parts[0] == NO_AMOUNT else Decimal(parts[0])
        except InvalidOperation:
            return Reply(texts=[turn.t("button.expired")])
        message = find_user_text(turn.tracker, parts[1])
        if message is None:
            return Reply(texts=[turn.t("button.expired")])
        report = report_deposit(
            turn.session,
            turn.principal,
            amount=amount,
            message=message,
            clock=turn.clock,
            offer_key=ref,
        )
        shown = format_money(amount) if amount is not None else ""
        if report.already_recorded:
            key = "deposit.already" if amount is not None else "deposit.already_no_amount"
            return Reply(texts=[turn.t(key, amount=shown), render_status(turn, report.status)])
        key = "deposit.recorded" if amount is not None else "deposit.recorded_no_amount"
        text = turn.t(key, amount=shown)
        notice = "deposit.manager_told" if report.manager_notified else "deposit.manager_not_told"
        return Reply(texts=[text, turn.t(notice), render_status(turn, report.status)])
