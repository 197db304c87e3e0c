"""Small talk, help, language choice and the replies for what we cannot do (yet)."""

from __future__ import annotations

from actions.base import Reply, RetailAction, Turn
from retail.access import choose_language
from retail.i18n import detect_language


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


class ActionHelp(ActionSay):
    action_name = "action_help"
    message_key = "help"


class ActionOutOfScope(ActionSay):
    action_name = "action_out_of_scope"
    message_key = "out_of_scope"


class ActionFallback(ActionSay):
    """Low NLU or dialogue confidence: say so and point at help, in the user's language."""

    action_name = "action_fallback"
    message_key = "fallback"


class ActionAck(ActionSay):
    """An affirm or deny with nothing pending to confirm."""

    action_name = "action_ack"
    message_key = "ack"


class ActionComingSoon(ActionSay):
    """Intents the NLU knows whose flows are not built yet: an honest answer, no pretending."""

    action_name = "action_coming_soon"
    message_key = "feature.coming"


_ENGLISH = ("英文", "英语", "english")
_CHINESE = ("中文", "汉语", "普通话", "chinese", "mandarin")


def requested_language(text: str) -> str:
    """Which language a set_language message asks for (说英文 / speak Chinese)."""
    lowered = text.lower()
    if any(word in lowered for word in _ENGLISH):
        return "en"
    if any(word in lowered for word in _CHINESE):
        return "zh"
    return detect_language(text) or "zh"


class ActionSetLanguage(RetailAction):
    """Remember the language the user asked for, and confirm in it."""

    action_name = "action_set_language"

    def respond(self, turn: Turn) -> Reply:
        language = requested_language(turn.text)
        choose_language(turn.session, turn.principal, language)
        return Reply(texts=[Turn(**{**turn.__dict__, "language": language}).t("language.set")])
