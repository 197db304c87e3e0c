"""Policy questions: the company's answer from the policy table, with the asker's own facts.

A sure answer is given as is. A possible one is given with a note that it may not be what was
asked, the runner-up topics as buttons, and (for a retailer) the offer to pass the question to
their manager. With no answer at all, the assistant says it does not know and makes the same
offer. A tapped topic button (``/ask_policy{"ref": KEY}``) answers that policy directly.

The question is read by lang.questions (no NLU entity carries its terms or the star level it
asks about); the NLU intent, when a policy question was classified as something else, hints at
the topics in :data:`INTENT_TOPICS`. retail.policies takes both as typed values.
"""

from __future__ import annotations

from actions.base import Button, Reply, RetailAction, Turn
from actions.context import POLICY, remember
from actions.conversation import intent_of, message_ref, payload, user_text
from actions.support import status_reply
from lang.questions import read_question
from retail.catalog import resolve_products
from retail.i18n import supported
from retail.policies import PolicyAnswer, answer_policy, policy_by_key, policy_topics
from retail.support import manager_contact

MAX_TOPIC_BUTTONS = 16

INTENT_TOPICS: dict[str, frozenset[str]] = {
    "settlement_status": frozenset({"settlement"}),
    "payment_notice": frozenset({"settlement"}),
    "reminder_prefs": frozenset({"settlement"}),
    "complaint": frozenset({"complaint"}),
    "contact_manager": frozenset({"roles"}),
    "order_show": frozenset({"ordering"}),
    "order_change": frozenset({"ordering"}),
    "order_repeat_last": frozenset({"ordering"}),
    "ask_price": frozenset({"price_label", "discontinued", "star_quota"}),
}
"""Policy topics an NLU intent hints at when a policy question was classified as something else
(Rasa intent names: they stay on this side of retail)."""


def answer_question(turn: Turn, question: str) -> PolicyAnswer | None:
    """The policy answer to a typed question, read by lang.questions, with the topics the turn's
    intent hints at; None when no policy is even possibly about it."""
    return answer_policy(
        turn.session,
        turn.principal,
        read_question(question),
        text=question,
        language=supported(turn.language),
        clock=turn.clock,
        hinted_topics=INTENT_TOPICS.get(intent_of(turn) or "", frozenset()),
    )


def render_policy(turn: Turn, answer: PolicyAnswer) -> str:
    """The policy text with the retailer's quotas or the named product's replacement added."""
    english = turn.language == "en"
    lines = [turn.t("policy.answer", title=answer.title, text=answer.text)]
    if answer.quotas and answer.quota_star_level is not None:
        separator = "; " if english else "、"
        items = separator.join(
            turn.t(
                "policy.quota_item",
                spec=q.name_en if english else q.spec,
                cartons=q.max_cartons,
            )
            for q in answer.quotas
        )
        own = answer.quota_star_level == answer.star_level
        key = "policy.my_quotas" if own else "policy.star_quotas"
        lines.append(turn.t(key, star=answer.quota_star_level, quotas=items))
    for fact in answer.discontinued:
        spec = fact.name_en if english else fact.spec
        if fact.replacement_spec:
            replacement = fact.replacement_name_en if english else fact.replacement_spec
            lines.append(turn.t("price.discontinued", spec=spec, replacement=replacement))
        else:
            lines.append(turn.t("price.discontinued_no_replacement", spec=spec))
    return "\n\n".join(lines)


def ask_manager_button(turn: Turn) -> Button | None:
    """The "pass this question to my manager" button, for a retailer with a typed question."""
    if not turn.principal.is_retailer or not user_text(turn):
        return None
    contact = manager_contact(turn.session, turn.principal, turn.language)
    return Button(
        turn.t("policy.ask_manager_button", manager=contact.name),
        payload("request_send", f"q:{message_ref(turn.tracker)}"),
    )


def topic_buttons(turn: Turn, keys: list[tuple[str, str]]) -> list[Button]:
    """One button per policy topic; a tap answers that policy."""
    return [Button(title, payload("ask_policy", key)) for key, title in keys]


class ActionPolicy(RetailAction):
    """Answer a policy question from the policy table, or say honestly that we are not sure."""

    action_name = "action_policy"

    def respond(self, turn: Turn) -> Reply:
        key = turn.entity("ref")
        if key:
            answer = policy_by_key(
                turn.session, turn.principal, key, language=turn.language, clock=turn.clock
            )
            return Reply(texts=[render_policy(turn, answer)])
        question = user_text(turn)
        if not question:
            return self._menu(turn)
        status = status_reply(turn)
        if status is not None:
            return status
        reply = self.answer(turn, question)
        named = resolve_products(turn.session, question)
        reply.events.extend(remember(POLICY, products=[m.product.spec for m in named] or None))
        return reply

    def answer(self, turn: Turn, question: str) -> Reply:
        """The answer to a typed policy question (a follow-up such as 那利群呢 asks the earlier
        question again about another product)."""
        answer = answer_question(turn, question)
        if answer is None:
            return self._unsure(turn)
        if answer.sure:
            return Reply(texts=[render_policy(turn, answer)])
        buttons = topic_buttons(turn, answer.alternatives)
        manager = ask_manager_button(turn)
        if manager is not None:
            buttons.append(manager)
        texts = [turn.t("policy.possible"), render_policy(turn, answer)]
        if buttons:
            texts.append(turn.t("policy.possible_more"))
        return Reply(texts=texts, buttons=buttons)

    def _menu(self, turn: Turn) -> Reply:
        topics = policy_topics(turn.session, language=turn.language, clock=turn.clock)
        return Reply(
            texts=[turn.t("policy.menu")],
            buttons=topic_buttons(turn, topics[:MAX_TOPIC_BUTTONS]),
        )

    def _unsure(self, turn: Turn) -> Reply:
        menu = Button(turn.t("policy.menu_button"), payload("ask_policy"))
        manager = ask_manager_button(turn)
        if manager is None:
            return Reply(texts=[turn.t("policy.unknown_general")], buttons=[menu])
        name = manager_contact(turn.session, turn.principal, turn.language).name
        return Reply(texts=[turn.t("policy.unknown", manager=name)], buttons=[manager, menu])
