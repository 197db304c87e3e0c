"""Small talk, help, language choice and the replies for what we cannot do (yet)."""

from __future__ import annotations

from actions.base import Button, Reply, RetailAction, Turn
from actions.conversation import payload, user_text
from actions.offers import answer_typed
from actions.policy import answer_question, render_policy
from actions.prices import render_quote
from actions.support import status_reply
from retail.access import choose_language
from retail.catalog import quotes_for, resolve_products
from retail.i18n import LANGUAGES

FALLBACK_POLICY_CONFIDENCE = 0.7
"""A message the NLU could not place is answered from a policy only when this sure."""

FALLBACK_PRODUCT_CONFIDENCE = 0.95
FALLBACK_PRODUCT_MAX_LENGTH = 16
"""A short message that is just a product name (硬芙) gets that product's price."""

_RETAILER_MENU = (
    ("menu.price", "ask_price"),
    ("menu.order", "order_show"),
    ("menu.settlement", "settlement_status"),
    ("menu.policy", "ask_policy"),
    ("menu.prefs", "reminder_prefs"),
    ("menu.manager", "contact_manager"),
)
_OTHER_MENU = (("menu.price", "ask_price"), ("menu.policy", "ask_policy"))


def menu_buttons(turn: Turn) -> list[Button]:
    """What this user can ask for, as one-tap buttons (retailers get their own shop's items)."""
    items = _RETAILER_MENU if turn.principal.is_retailer else _OTHER_MENU
    return [Button(turn.t(key), payload(intent)) for key, intent in items]


class ActionSay(RetailAction):
    """Answer with one fixed message; subclasses name the action and the message key."""

    message_key = ""

    def respond(self, turn: Turn) -> Reply:
        return Reply(texts=[turn.t(self.message_key)])


class ActionGreet(RetailAction):
    action_name = "action_greet"

    def respond(self, turn: Turn) -> Reply:
        return Reply(texts=[turn.t("greet", name=turn.principal.name)])


class ActionGoodbye(ActionSay):
    action_name = "action_goodbye"
    message_key = "goodbye"


class ActionThank(ActionSay):
    action_name = "action_thank"
    message_key = "thank"


class ActionHelp(RetailAction):
    """What the assistant can do, with a button for each."""

    action_name = "action_help"

    def respond(self, turn: Turn) -> Reply:
        return Reply(texts=[turn.t("help")], buttons=menu_buttons(turn))


class ActionOutOfScope(RetailAction):
    """Something we do not do: say so, and offer what we do, in the user's language."""

    action_name = "action_out_of_scope"

    def respond(self, turn: Turn) -> Reply:
        return Reply(texts=[turn.t("out_of_scope")], buttons=menu_buttons(turn))


class ActionFallback(RetailAction):
    """Low NLU or dialogue confidence: still answer if the words plainly name a policy or a
    product; otherwise say we did not understand and offer the menu."""

    action_name = "action_fallback"

    def respond(self, turn: Turn) -> Reply:
        text = user_text(turn)
        status = status_reply(turn)
        if status is not None:
            return status
        if text:
            answer = answer_question(turn, text)
            if answer is not None and answer.confidence >= FALLBACK_POLICY_CONFIDENCE:
                return Reply(texts=[render_policy(turn, answer)])
            if len(text) <= FALLBACK_PRODUCT_MAX_LENGTH:
                matches = resolve_products(turn.session, text)
                if len(matches) == 1 and matches[0].confidence >= FALLBACK_PRODUCT_CONFIDENCE:
                    [found] = quotes_for(turn.session, turn.principal, [matches[0].product])
                    return Reply(texts=[render_quote(turn, found)])
        return Reply(texts=[turn.t("fallback")], buttons=menu_buttons(turn))


class ActionAck(RetailAction):
    """Every typed yes or no (an affirm or deny without a button's entities): it answers the
    offer the user was shown, or the order plan still waiting (actions/offers.py); with
    nothing pending it is just acknowledged."""

    action_name = "action_ack"

    def respond(self, turn: Turn) -> Reply:
        answer = answer_typed(turn)
        return answer if answer is not None else Reply(texts=[turn.t("ack")])


_ENGLISH = ("英文", "英语", "english")
_CHINESE = ("中文", "汉语", "普通话", "chinese", "mandarin")


def requested_language(text: str) -> str | None:
    """Which language a set_language message names (说英文 / speak Chinese), or None when it
    names none: a message the NLU only guessed to be about language must not pin one."""
    lowered = text.lower()
    if any(word in lowered for word in _ENGLISH):
        return "en"
    if any(word in lowered for word in _CHINESE):
        return "zh"
    return None


class ActionSetLanguage(RetailAction):
    """Remember the language the user asked for and confirm in it; if the message names no
    language, ask which one (a tap on 中文 / English answers)."""

    action_name = "action_set_language"

    def respond(self, turn: Turn) -> Reply:
        tapped = turn.entity("ref")
        language = tapped if tapped in LANGUAGES else requested_language(user_text(turn))
        if language is None:
            return Reply(
                texts=[turn.t("language.ask")],
                buttons=[
                    Button("中文", payload("set_language", "zh")),
                    Button("English", payload("set_language", "en")),
                ],
            )
        choose_language(turn.session, turn.principal, language)
        return Reply(texts=[Turn(**{**turn.__dict__, "language": language}).t("language.set")])
