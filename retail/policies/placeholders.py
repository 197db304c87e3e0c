"""The placeholders of a policy text, and the asker's facts that fill them.

Texts may hold the names listed in :data:`PLACEHOLDERS` in braces. A retailer gets their own
order day, window, deduction time, star level and manager; anyone else (a manager, staff) gets
the general wording, with the retailer-specific facts shown as labels. The pattern below reads
the company's own policy texts (and import files), never what a user typed.
"""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from retail.access import Principal
from retail.i18n import supported, t, weekday_name
from retail.models import Contact, Manager, Retailer

PLACEHOLDERS = (
    "order_day",
    "order_window",
    "deduction_time",
    "star_level",
    "manager_name",
    "manager_phone",
    "hotline",
)
"""The names a policy text may use in braces; anything else in braces is left as written."""

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def policy_facts(session: Session, principal: Principal, *, language: str) -> dict[str, str]:
    """The placeholder values for this asker: their own facts, or the general labels."""
    language = supported(language)
    facts = {name: t(language, f"policy.general.{name}") for name in PLACEHOLDERS}
    hotline = session.get(Contact, "hotline")
    if hotline is not None:
        facts["hotline"] = hotline.value
    if not principal.is_retailer or principal.retailer_id is None:
        return facts
    retailer = session.get(Retailer, principal.retailer_id)
    if retailer is None:
        return facts
    manager = session.get(Manager, retailer.manager_id)
    facts.update(
        order_day=weekday_name(retailer.order_weekday, language),
        order_window=t(
            language,
            "policy.window",
            start=f"{retailer.window_open:%H:%M}",
            end=f"{retailer.window_close:%H:%M}",
        ),
        deduction_time=f"{retailer.deduction_time:%H:%M}",
        star_level=str(retailer.star_level),
    )
    if manager is not None:
        facts["manager_name"] = manager.display_zh if language == "zh" else manager.display_en
        facts["manager_phone"] = manager.phone
    return facts


def personalise(text: str, facts: dict[str, str]) -> str:
    """Fill the known placeholders of ``text``; unknown braces stay as written."""
    return _PLACEHOLDER.sub(lambda m: facts.get(m.group(1), m.group(0)), text)


def unknown_placeholders(text: str) -> list[str]:
    """Placeholder names in ``text`` that :func:`personalise` would not fill (for importers)."""
    return sorted({name for name in _PLACEHOLDER.findall(text) if name not in PLACEHOLDERS})
