"""Managers' visit notes, visit queries, the visit plan, a shop's status and deposit reminders.

A note (typed, or a voice transcript the bot sends as text) is never saved at once:
``action_visit_note`` shows a summary with 保存 / 修改 / 取消 buttons whose payloads name the
draft (``/visit_save{"ref":"<draft id>"}``). A note that fits several shops is answered with one
button per shop (``/visit_pick{"ref":"<message ref>:<shop code>"}``), which drafts the same
text for that shop. "刚才那条记错了..." (``action_visit_amend``) drafts a corrected copy.
After a save the retailer gets a push whose button (``/visit_confirm{"ref":"<note id>"}``)
comes back here as that retailer. Business rules (territory, who may confirm) live in retail/.

The actions read the message and hand retail/ typed values (shop ids, the stated visit time,
product ids with counts in 条, due days) with the raw text for the record: the NLU's ``time``
and ``retailer`` entities where it found them, lang/ (the reader the NLU itself uses) for the
rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import Button, Reply, RetailAction, Turn
from actions.context import RETAILER_STATUS, VISIT_HISTORY, remember
from actions.conversation import find_user_text, message_ref, payload, split_ref, user_text
from actions.forms import FAILURES, GAVE_UP, Answer, RetailFormValidation, ended, question
from lang.shops import ShopNames, match_shops
from lang.times import TimeValue, parse_message_time
from lang.visit_notes import read_correction, read_note
from lang.visit_queries import (
    COUNTERFEITS,
    FOLLOW_UPS,
    LAST_VISIT,
    NOT_VISITED,
    STOCK_OUTS,
    read_history_query,
)
from retail.access import visible_retailers
from retail.catalog import load_catalog, resolve_products
from retail.clock import local
from retail.errors import VisitShopAmbiguous, VisitShopUnknown
from retail.i18n import format_datetime, format_money
from retail.models import Retailer
from retail.settlement import shortfalls
from retail.visits import (
    COUNTERFEIT_DAYS,
    OVERDUE_DAYS,
    PRICE_TAGS,
    STOCK_OUT_DAYS,
    TAGS,
    NoteFacts,
    RetailerStatus,
    StatedTime,
    StockLine,
    VisitView,
    amend_last,
    cancel_visit,
    confirm_by_retailer,
    counterfeit_reports,
    draft_visit,
    follow_ups_due,
    last_visit,
    period_of,
    require_manager,
    retailer_status,
    save_visit,
    send_deposit_reminders,
    shop_name,
    shops_not_visited,
    stock_outs,
    visit_plan,
    visits_in_period,
)

_REMARK_KINDS = ("counterfeit", "price_problem", "complaint", "advice")


def sent_at(turn: Turn) -> datetime:
    """When the user wrote the message (the bot passes Telegram's time), else now."""
    metadata = turn.tracker.latest_message.get("metadata") or {}
    raw = metadata.get("message_time") if isinstance(metadata, dict) else None
    return parse_message_time(raw) or turn.clock.now()


def _entities(turn: Turn, kind: str) -> list[dict[str, Any]]:
    entities = turn.tracker.latest_message.get("entities") or []
    return [e for e in entities if isinstance(e, dict) and e.get("entity") == kind]


def _times(turn: Turn) -> list[tuple[int, TimeValue]]:
    """The NLU's ``time`` entities (ISO 8601 value, grain, from/to, relation) as lang values,
    with where each starts in the text."""
    values = []
    for entity in _entities(turn, "time"):
        try:
            value = datetime.fromisoformat(str(entity["value"]))
            start = datetime.fromisoformat(str(entity.get("from") or entity["value"]))
            end = datetime.fromisoformat(str(entity.get("to") or entity["value"]))
        except (KeyError, ValueError):
            continue
        grain, relation = str(entity.get("grain") or "day"), entity.get("relation")
        time = TimeValue(value, grain, start, end, relation, entity.get("recurrence"))
        values.append((int(entity.get("start") or 0), time))
    return values


def _shops(turn: Turn, text: str, *, entities: bool = True) -> tuple[int, ...]:
    """Ids of the territory's shops the message names: the NLU's ``retailer`` entities first,
    else the whole text, read by lang.shops."""
    names = [
        ShopNames(shop.id, shop.name, shop.owner or "", shop.name_en or "")
        for shop in visible_retailers(turn.session, turn.principal)
    ]
    said = [str(e.get("value") or "") for e in _entities(turn, "retailer")] if entities else []
    for value in [*said, text]:
        found = match_shops(value, names)
        if found:
            return tuple(shop_id for shop_id in found if isinstance(shop_id, int))
    return ()


def _facts(turn: Turn, text: str, *, entities: bool = True, correction: bool = False) -> NoteFacts:
    """A note (or, with ``correction``, a correction) as the typed values retail takes.

    The visit time comes from the NLU's ``time`` entities when it found some (``entities``:
    they belong to ``text``); the rest is read by lang, the reader the NLU uses too.
    """
    moment = sent_at(turn)
    ids = {product.spec: product.id for product in load_catalog(turn.session)}

    def find_products(clause: str) -> Sequence[tuple[int, int, str]]:
        found = resolve_products(turn.session, clause)
        return [(match.start, match.end, match.product.spec) for match in found]

    times = _times(turn) if entities else None
    reading = read_note(text, now=moment, find_products=find_products, times=times or None)
    fix = read_correction(text) if correction else None
    visited = reading.visited
    return NoteFacts(
        raw_text=text,
        sent_at=moment,
        shops=_shops(turn, text, entities=entities),
        visited=StatedTime(visited.value, visited.grain == "day") if visited else None,
        price_tags=fix.price_tags if fix else reading.price_tags,
        tags=reading.tags,
        stock=tuple((ids[count.product], count.cartons) for count in reading.stock),
        stock_outs=tuple(ids[spec] for spec in reading.stock_outs),
        remarks=tuple((r.kind, r.text, ids.get(r.product or "")) for r in reading.remarks),
        follow_ups=tuple((promise.due, promise.text) for promise in reading.follow_ups),
        bare_count=fix.bare_count if fix else None,
    )


def _day(value: date, language: str) -> str:
    """A day as 11月30日 / 30 Nov (the date part of retail.i18n.format_datetime)."""
    return f"{value.month}月{value.day}日" if language == "zh" else f"{value.day} {value:%b}"


def _product(turn: Turn, line: StockLine) -> str:
    return f"{line.name_en} ({line.spec})" if turn.language == "en" and line.name_en else line.spec


def _shop(turn: Turn, name: str, name_en: str) -> str:
    return name_en or name if turn.language == "en" else name


def render_visit(turn: Turn, visit: VisitView, *, title_key: str | None = None) -> str:
    """A compact summary of a note in the turn's language."""
    sep = turn.t("visit.list_sep")
    lines = [turn.t(title_key)] if title_key else []
    lines.append(
        turn.t(
            "visit.summary.shop",
            shop=_shop(turn, visit.retailer_name, visit.retailer_name_en),
            code=visit.retailer_code,
        )
    )
    at = format_datetime(visit.visited_at, turn.language)
    time_key = "visit.summary.time" if visit.time_stated else "visit.summary.time_assumed"
    lines.append(turn.t(time_key, at=at))
    lines.extend(_details(turn, visit, sep))
    if visit.amended_raw_text:
        lines.append(turn.t("visit.summary.amends", at=at, raw=visit.amended_raw_text[:200]))
    return "\n".join(lines)


def _details(turn: Turn, visit: VisitView, sep: str) -> list[str]:
    lines = []
    if visit.stock:
        items = sep.join(
            f"{_product(turn, s)} {turn.t('visit.qty', count=s.cartons)}" for s in visit.stock
        )
        lines.append(turn.t("visit.summary.stock", items=items))
    if visit.stock_outs:
        items = sep.join(_product(turn, s) for s in visit.stock_outs)
        lines.append(turn.t("visit.summary.stock_outs", items=items))
    if PRICE_TAGS in visit.tags:
        if visit.price_tags:
            lines.append(turn.t("visit.summary.price_tags_count", count=visit.price_tags))
        else:
            lines.append(turn.t("visit.summary.price_tags"))
    if "display" in visit.tags:
        lines.append(turn.t("visit.summary.display"))
    if "deposit_reminder" in visit.tags:
        lines.append(turn.t("visit.summary.deposit"))
    for kind, text in visit.remarks:
        if kind in _REMARK_KINDS:
            lines.append(turn.t(f"visit.summary.remark.{kind}", text=text))
    for due, text in visit.follow_ups:
        lines.append(turn.t("visit.summary.follow_up", due=_day(due, turn.language), text=text))
    if not lines:
        lines.append(turn.t("visit.summary.nothing"))
    return lines


def brief(turn: Turn, visit: VisitView) -> str:
    """One line for a list: stock-outs, counts and tags."""
    sep = turn.t("visit.list_sep")
    parts = [f"{_product(turn, s)} {turn.t('visit.qty', count=s.cartons)}" for s in visit.stock[:4]]
    parts += [turn.t(f"visit.tag.{tag}") for tag in TAGS if tag in visit.tags]
    if visit.follow_ups:
        parts.append(turn.t("visit.tag.follow_up"))
    return sep.join(parts) or turn.t("visit.brief.none")


def draft_buttons(turn: Turn, note_id: int) -> list[Button]:
    """保存 / 修改 / 取消 under a draft."""
    ref = str(note_id)
    return [
        Button(turn.t("visit.button.save"), payload("visit_save", ref)),
        Button(turn.t("visit.button.edit"), payload("visit_edit", ref)),
        Button(turn.t("visit.button.cancel"), payload("visit_cancel", ref)),
    ]


def offer(turn: Turn, visit: VisitView, *, title_key: str) -> Reply:
    """A draft's summary with its buttons."""
    text = render_visit(turn, visit, title_key=title_key)
    return Reply(
        texts=[text + "\n" + turn.t("visit.summary.draft_hint")],
        buttons=draft_buttons(turn, visit.id),
    )


def _pick_buttons(turn: Turn, error: VisitShopAmbiguous, ref: str) -> list[Button]:
    codes = str(error.params.get("codes") or "").split(",")
    names = str(error.params.get("shops") or "").split(" / ")
    return [
        Button(turn.t("visit.button.pick", shop=name), payload("visit_pick", f"{ref}:{code}"))
        for code, name in zip(codes, names, strict=False)
        if code
    ]


def _note_id(turn: Turn) -> int | None:
    ref = turn.entity("ref")
    return int(ref) if ref and ref.isdigit() else None


def draft_note(turn: Turn, text: str) -> Reply:
    """``text`` drafted as a note and shown with save / edit / cancel, or with one button per
    shop when it fits several; :class:`VisitShopUnknown` when it names no shop of the
    territory."""
    try:
        visit = draft_visit(turn.session, turn.principal, _facts(turn, text), clock=turn.clock)
    except VisitShopAmbiguous as error:
        return Reply(
            texts=[turn.t(error.key, **error.params)],
            buttons=_pick_buttons(turn, error, message_ref(turn.tracker)),
        )
    return offer(turn, visit, title_key="visit.summary.draft_title")


VISIT_SHOP_OPEN = "visit_shop_open"
"""Set by action_visit_note for a note that names no shop: the rules then run visit_shop_form."""
VISIT_NOTE_REF = "visit_note_ref"
"""The message ref of that note, drafted once the shop is known."""
VISIT_SHOP = "visit_shop"
"""The answer to 是哪家店?, kept as the shop's code."""
_VISIT_SHOP_SLOTS = (VISIT_SHOP_OPEN, VISIT_NOTE_REF, VISIT_SHOP, FAILURES)


class ActionVisitNote(RetailAction):
    """A manager's note: drafted and shown with save / edit / cancel (nothing saved yet). A
    note that names no shop of the territory is remembered by reference while visit_shop_form
    asks which shop it was (nothing is drafted before the answer)."""

    action_name = "action_visit_note"

    def respond(self, turn: Turn) -> Reply:
        require_manager(turn.principal)
        text = user_text(turn)
        if not text:
            return Reply(texts=[turn.t("visit.ask_note")])
        try:
            reply = draft_note(turn, text)
        except VisitShopUnknown:
            ref = message_ref(turn.tracker)
            return Reply(
                events=[
                    SlotSet(VISIT_SHOP_OPEN, True),
                    SlotSet(VISIT_NOTE_REF, ref),
                    SlotSet(VISIT_SHOP, None),
                    SlotSet(FAILURES, None),
                ]
            )
        reply.events.append(SlotSet(VISIT_SHOP_OPEN, None))
        return reply


class ActionAskVisitShop(RetailAction):
    """visit_shop_form's question: 是哪家店? / Which shop was this?"""

    action_name = "action_ask_visit_shop"

    def respond(self, turn: Turn) -> Reply:
        """The example is a shop of the manager's own territory (never another's)."""
        names = sorted(_territory_names(turn).items())
        if not names:
            return question(turn, "forms.visit.ask_shop_plain")
        code, name = names[0]
        return question(turn, "forms.visit.ask_shop", example=name, code=code)


def territory_shops(turn: Turn, text: str) -> list[Retailer]:
    """The shops of the manager's territory that ``text`` names by name, owner, English name
    or code (read by lang.shops); a shop outside the territory is never among them."""
    shops = visible_retailers(turn.session, turn.principal)
    names = [ShopNames(s.id, s.name, s.owner or "", s.name_en or "") for s in shops]
    names += [ShopNames(s.id, s.code) for s in shops]
    by_id = {shop.id: shop for shop in shops}
    found = dict.fromkeys(match_shops(text, names))
    return [by_id[i] for i in found if isinstance(i, int) and i in by_id]


class ValidateVisitShopForm(RetailFormValidation):
    """Reads the answer to 是哪家店?: one shop of the manager's territory is the answer; several
    are named back to choose from; an unknown shop, or one outside the territory (not told
    apart, so the answer reveals nothing), is asked again politely. After three unusable
    answers the form ends and nothing is drafted. Cancel words, side questions: see
    actions/forms.py."""

    gate_slot = VISIT_SHOP_OPEN
    max_failures = 3

    def name(self) -> str:
        return "validate_visit_shop_form"

    def read(self, turn: Turn, slot: str, text: str) -> Answer:
        """The shop's code, if the answer names exactly one shop of the territory."""
        require_manager(turn.principal)
        found = territory_shops(turn, text)
        if len(found) == 1:
            return Answer(found[0].code)
        if found:
            names = " / ".join(f"{shop_name(s, turn.language)} ({s.code})" for s in found)
            return Answer(None, (turn.t("visit.shop_ambiguous", shops=names),))
        return Answer(None, (turn.t("forms.visit.shop_unknown", text=text[:30]),))

    async def validate_visit_shop(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Which shop the note was about."""
        return await self.check(VISIT_SHOP, value, dispatcher, tracker)


class ActionVisitNoteShop(RetailAction):
    """visit_shop_form is done: the remembered note is drafted for the shop named and shown
    with save / edit / cancel, or, if the form was cancelled, nothing is drafted and it says
    so. Nothing at all when no such form was open.

    The answer that named the shop joins the note's text: it may be just 梅溪湖 or R008, which
    the record then names, or a whole second note ("this morning I visited the Meixi Lake
    store and checked the price tags", dictated before the question was heard), whose facts
    must not be lost."""

    action_name = "action_visit_note_shop"

    def respond(self, turn: Turn) -> Reply:
        slots = turn.tracker
        if not slots.get_slot(VISIT_SHOP_OPEN):
            return Reply()
        closed = [SlotSet(name, None) for name in _VISIT_SHOP_SLOTS]
        code = slots.get_slot(VISIT_SHOP)
        outcome = ended([code])
        if outcome is not None or not code:
            key = "forms.visit.gave_up" if outcome == GAVE_UP else "forms.visit.cancelled"
            return Reply(texts=[turn.t(key)], events=closed)
        text = find_user_text(slots, str(slots.get_slot(VISIT_NOTE_REF) or ""))
        if not text:
            return Reply(texts=[turn.t("button.expired")], events=closed)
        answer = user_text(turn)
        if answer and answer not in text:
            text = f"{text}\n{answer}"
        facts = _facts(turn, text, entities=False)
        visit = draft_visit(
            turn.session, turn.principal, facts, clock=turn.clock, retailer_code=str(code)
        )
        reply = offer(turn, visit, title_key="visit.summary.draft_title")
        reply.events[:0] = closed
        return reply


class ActionVisitPick(RetailAction):
    """The manager picked the shop of an ambiguous note: draft that note for it."""

    action_name = "action_visit_pick"

    def respond(self, turn: Turn) -> Reply:
        parts = split_ref(turn.entity("ref"), parts=2)
        text = find_user_text(turn.tracker, parts[0]) if parts else None
        if parts is None or not text:
            return Reply(texts=[turn.t("button.expired")])
        facts = _facts(turn, text, entities=False)
        visit = draft_visit(
            turn.session, turn.principal, facts, clock=turn.clock, retailer_code=parts[1]
        )
        return offer(turn, visit, title_key="visit.summary.draft_title")


class ActionVisitSave(RetailAction):
    """保存: the draft becomes the record and the retailer is asked to confirm. A second 保存
    of the same draft (a double tap, a replay) writes nothing and says it was saved before."""

    action_name = "action_visit_save"

    def respond(self, turn: Turn) -> Reply:
        note_id = _note_id(turn)
        if note_id is None:
            return Reply(texts=[turn.t("button.expired")])
        saved = save_visit(
            turn.session,
            turn.principal,
            note_id,
            clock=turn.clock,
            confirm_payload=lambda note: payload("visit_confirm", str(note)),
        )
        visit = saved.visit
        shop = _shop(turn, visit.retailer_name, visit.retailer_name_en)
        if saved.already_saved:
            return Reply(texts=[turn.t("visit.already_saved", shop=shop)])
        texts = [turn.t("visit.saved", shop=shop)]
        if saved.confirmation_queued:
            texts.append(turn.t("visit.saved_confirm_asked"))
        elif visit.confirmed_at is None:
            texts.append(turn.t("visit.saved_offline"))
        return Reply(texts=["\n".join(texts)])


class ActionVisitCancel(RetailAction):
    """取消: the draft is dropped; nothing is recorded."""

    action_name = "action_visit_cancel"

    def respond(self, turn: Turn) -> Reply:
        note_id = _note_id(turn)
        if note_id is None:
            return Reply(texts=[turn.t("button.expired")])
        cancel_visit(turn.session, turn.principal, note_id, clock=turn.clock)
        return Reply(texts=[turn.t("visit.cancelled")])


class ActionVisitEdit(RetailAction):
    """修改: say how to correct the draft (a correction message, or the whole note again)."""

    action_name = "action_visit_edit"

    def respond(self, turn: Turn) -> Reply:
        require_manager(turn.principal)
        return Reply(texts=[turn.t("visit.edit_prompt")])


class ActionVisitAmend(RetailAction):
    """ "刚才那条记错了,库存是十二条": a corrected copy of the newest note, shown for saving."""

    action_name = "action_visit_amend"

    def respond(self, turn: Turn) -> Reply:
        require_manager(turn.principal)
        text = user_text(turn)
        if not text:
            return Reply(texts=[turn.t("visit.edit_prompt")])
        facts = _facts(turn, text, correction=True)
        visit = amend_last(turn.session, turn.principal, facts, clock=turn.clock)
        return offer(turn, visit, title_key="visit.summary.amend_title")


class ActionVisitConfirm(RetailAction):
    """The retailer tapped 确认拜访 under the push: the visit is confirmed (签字确认)."""

    action_name = "action_visit_confirm"

    def respond(self, turn: Turn) -> Reply:
        note_id = _note_id(turn)
        if note_id is None:
            return Reply(texts=[turn.t("button.expired")])
        visit = confirm_by_retailer(turn.session, turn.principal, note_id, clock=turn.clock)
        return Reply(
            texts=[turn.t("visit.confirmed", at=format_datetime(visit.visited_at, turn.language))]
        )


def _retailer_name(turn: Turn, retailer: Retailer) -> str:
    return shop_name(retailer, turn.language)


class ActionVisitHistory(RetailAction):
    """Visit questions: last visit to a shop, a period's visits, shops not visited lately,
    follow-ups due, recent stock-outs, suspected fakes."""

    action_name = "action_visit_history"

    def respond(self, turn: Turn) -> Reply:
        times = _times(turn)
        return self.answer(turn, user_text(turn), period=times[0][1] if times else None)

    def answer(self, turn: Turn, text: str, *, period: TimeValue | None) -> Reply:
        """The answer to a visit question ``text`` (``period``: the time the NLU read from
        it; a follow-up such as 上周呢 passes its own), remembering its shop and period."""
        require_manager(turn.principal)
        shops = _shops(turn, text)
        query = read_history_query(text, now=sent_at(turn), names_shop=bool(shops), period=period)
        if query.kind == LAST_VISIT:
            retailer, last = self._last(turn, shops)
            return Reply(texts=[last], events=remember(VISIT_HISTORY, shop=retailer.code))
        if query.kind == NOT_VISITED:
            reply = Reply(texts=[self.not_visited(turn, query.days)])
        elif query.kind == FOLLOW_UPS:
            reply = Reply(texts=[render_follow_ups(turn, query.days)])
        elif query.kind in (STOCK_OUTS, COUNTERFEITS):
            span = (query.start, query.end) if query.start and query.end else None
            reply = Reply(texts=[self.sightings(turn, query.kind, query.days, span=span)])
        else:
            start, end = period_of(query.start, query.end, clock=turn.clock)
            return Reply(
                texts=[self._period(turn, start, end)],
                events=remember(VISIT_HISTORY, period=(start, end)),
            )
        reply.events.extend(remember(VISIT_HISTORY))
        return reply

    @staticmethod
    def _last(turn: Turn, shops: Sequence[int]) -> tuple[Retailer, str]:
        retailer, visit = last_visit(turn.session, turn.principal, shops)
        name = _retailer_name(turn, retailer)
        if visit is None:
            return retailer, turn.t("visit.never", shop=name)
        at = format_datetime(visit.visited_at, turn.language)
        sep = turn.t("visit.list_sep")
        lines = [turn.t("visit.last", shop=name, at=at), *_details(turn, visit, sep)]
        return retailer, "\n".join(lines)

    @staticmethod
    def not_visited(turn: Turn, asked: int | None) -> str:
        """The manager's shops not visited in ``asked`` days (or the overdue default)."""
        rows = shops_not_visited(turn.session, turn.principal, days=asked, clock=turn.clock)
        days = asked or OVERDUE_DAYS
        if not rows:
            return turn.t("visit.not_visited.none", days=days)
        lines = [turn.t("visit.not_visited.header", days=days)]
        for row in rows:
            name = _retailer_name(turn, row.retailer)
            if row.last_visit is None:
                lines.append(turn.t("visit.not_visited.never", shop=name, code=row.retailer.code))
            else:
                lines.append(
                    turn.t(
                        "visit.not_visited.item",
                        shop=name,
                        code=row.retailer.code,
                        days=row.days_since,
                        at=_day(local(row.last_visit).date(), turn.language),
                    )
                )
        return "\n".join(lines)

    @staticmethod
    def sightings(
        turn: Turn, kind: str, asked: int | None, *, span: tuple[date, date] | None = None
    ) -> str:
        """Stock-outs or suspected fakes (``kind``) seen on the days of ``span`` (a period the
        question named: 上个月), else in the last ``asked`` days (or the kind's default)."""
        finder = stock_outs if kind == STOCK_OUTS else counterfeit_reports
        prefix = "visit.stock_outs" if kind == STOCK_OUTS else "visit.counterfeits"
        if span is not None:
            rows = finder(
                turn.session, turn.principal, clock=turn.clock, start=span[0], end=span[1]
            )
            days = {"start": _day(span[0], turn.language), "end": _day(span[1], turn.language)}
            none, header = f"{prefix}.none_period", f"{prefix}.header_period"
        else:
            rows = finder(turn.session, turn.principal, clock=turn.clock, days=asked)
            days = {"days": asked or (STOCK_OUT_DAYS if kind == STOCK_OUTS else COUNTERFEIT_DAYS)}
            none, header = f"{prefix}.none", f"{prefix}.header"
        if not rows:
            return turn.t(none, **days)
        lines = [turn.t(header, **days)]
        for row in rows[:30]:
            product = (
                _product(turn, StockLine(row.product.spec, row.product.name_en, None))
                if row.product
                else ""
            )
            lines.append(
                turn.t(
                    f"{prefix}.item",
                    at=_day(local(row.visited_at).date(), turn.language),
                    shop=_retailer_name(turn, row.retailer),
                    product=product,
                    text=row.text,
                )
            )
        return "\n".join(lines)

    def shop_visits(self, turn: Turn, shops: Sequence[int], start: date, end: date) -> Reply:
        """The visits to ``shops`` between two days: a follow-up that keeps the shop or the
        period in context and changes the other (上周呢 after 我上次去张记是哪天)."""
        require_manager(turn.principal)
        return Reply(
            texts=[self._period(turn, start, end, shops=shops)],
            events=remember(VISIT_HISTORY, period=(start, end)),
        )

    @staticmethod
    def _period(turn: Turn, start: date, end: date, *, shops: Sequence[int] = ()) -> str:
        visits = visits_in_period(turn.session, turn.principal, start, end)
        if shops:
            visits = [visit for visit in visits if visit.retailer_id in shops]
        first, last = _day(start, turn.language), _day(end, turn.language)
        if not visits:
            return turn.t("visit.period.none", start=first, end=last)
        lines = [turn.t("visit.period.header", start=first, end=last, count=len(visits))]
        for visit in visits[:30]:
            lines.append(
                turn.t(
                    "visit.period.item",
                    at=format_datetime(visit.visited_at, turn.language),
                    shop=_shop(turn, visit.retailer_name, visit.retailer_name_en),
                    summary=brief(turn, visit),
                )
            )
        return "\n".join(lines)


def render_follow_ups(turn: Turn, within_days: int | None) -> str:
    """Open follow-ups due by today + ``within_days``, overdue marked."""
    rows = follow_ups_due(turn.session, turn.principal, clock=turn.clock, within_days=within_days)
    if not rows:
        return turn.t("visit.follow_ups.none")
    lines = [turn.t("visit.follow_ups.header")]
    for row in rows[:30]:
        key = "visit.follow_ups.overdue" if row.overdue else "visit.follow_ups.item"
        lines.append(
            turn.t(
                key,
                due=_day(row.due_on, turn.language),
                shop=_retailer_name(turn, row.retailer),
                text=row.text,
            )
        )
    return "\n".join(lines)


class ActionVisitPlan(RetailAction):
    """Next week's visit plan: key and overdue shops first, with the reasons."""

    action_name = "action_visit_plan"

    def respond(self, turn: Turn) -> Reply:
        require_manager(turn.principal)
        items = visit_plan(turn.session, turn.principal, clock=turn.clock)
        if not items:
            return Reply(texts=[turn.t("visit.plan.none")])
        today = local(turn.clock.now()).date()
        monday = today + timedelta(days=7 - today.weekday())
        lines = [
            turn.t(
                "visit.plan.header",
                start=_day(monday, turn.language),
                end=_day(monday + timedelta(days=6), turn.language),
            )
        ]
        sep = turn.t("visit.plan.reason_sep")
        for number, item in enumerate(items, start=1):
            reasons = []
            if item.last_visit is None:
                reasons.append(turn.t("visit.plan.reason.never"))
            elif item.overdue:
                reasons.append(turn.t("visit.plan.reason.overdue", days=item.days_since))
            if item.retailer.key_shop:
                reasons.append(turn.t("visit.plan.reason.key_shop"))
            if item.retailer.star_level >= 4:
                reasons.append(turn.t("visit.plan.reason.star", star=item.retailer.star_level))
            if item.shortfall > 0:
                reasons.append(
                    turn.t("visit.plan.reason.short", amount=format_money(item.shortfall))
                )
            if item.open_follow_ups:
                reasons.append(turn.t("visit.plan.reason.follow_ups", count=item.open_follow_ups))
            if not reasons:
                reasons.append(turn.t("visit.plan.reason.routine"))
            lines.append(
                turn.t(
                    "visit.plan.item",
                    n=number,
                    shop=_retailer_name(turn, item.retailer),
                    code=item.retailer.code,
                    reasons=sep.join(reasons),
                )
            )
        return Reply(texts=["\n".join(lines)])


class ActionRetailerStatus(RetailAction):
    """A shop of the manager's territory: this week's order, balance, shortfall, last visit."""

    action_name = "action_retailer_status"

    def respond(self, turn: Turn) -> Reply:
        return self.answer(turn, _shops(turn, user_text(turn)))

    def answer(self, turn: Turn, shops: Sequence[int]) -> Reply:
        """The status of the shop among ``shops`` (a follow-up such as 那李姐呢 passes the
        shop it names), remembering the shop."""
        require_manager(turn.principal)
        status = retailer_status(turn.session, turn.principal, shops, clock=turn.clock)
        retailer, money = status.retailer, status.settlement
        lines = [
            turn.t(
                "visit.status.header",
                shop=_retailer_name(turn, retailer),
                code=retailer.code,
                star=retailer.star_level,
                owner=retailer.owner,
            )
        ]
        lines.append(self._order(turn, status))
        if money.balance is None or money.balance_reported_at is None:
            lines.append(turn.t("visit.status.balance_unknown"))
        else:
            lines.append(
                turn.t(
                    "visit.status.balance",
                    balance=format_money(money.balance),
                    at=format_datetime(money.balance_reported_at, turn.language),
                )
            )
        if money.is_short and money.deduct_at is not None:
            lines.append(
                turn.t(
                    "visit.status.shortfall",
                    amount=format_money(money.shortfall),
                    deduct_at=format_datetime(money.deduct_at, turn.language),
                )
            )
        elif status.order_cycle:
            lines.append(turn.t("visit.status.funded"))
        if money.claimed_since_report > 0:
            lines.append(
                turn.t("visit.status.claimed", amount=format_money(money.claimed_since_report))
            )
        visit = status.last_visit
        if visit is None:
            lines.append(turn.t("visit.status.never_visited"))
        else:
            lines.append(
                turn.t(
                    "visit.status.last_visit",
                    at=format_datetime(visit.visited_at, turn.language),
                    summary=brief(turn, visit),
                )
            )
        return Reply(texts=["\n".join(lines)], events=remember(RETAILER_STATUS, shop=retailer.code))

    @staticmethod
    def _order(turn: Turn, status: RetailerStatus) -> str:
        cycle, state = status.order_cycle, status.order_state
        if cycle is None:
            return turn.t("visit.status.no_order")
        state_text = (
            turn.t(f"visit.status.state.{state}")
            if state in ("open", "closed")
            else turn.t("visit.status.state.other", state=state or "")
        )
        lines = status.order_lines
        if not lines:
            return turn.t("visit.status.order_empty", cycle=cycle, state=state_text)
        sep = turn.t("visit.list_sep")
        items = sep.join(
            turn.t(
                "visit.status.line",
                product=_product(turn, StockLine(spec, name_en, None)),
                qty=turn.t("visit.qty", count=qty),
            )
            for spec, name_en, qty in lines
        )
        return turn.t(
            "visit.status.order",
            cycle=cycle,
            state=state_text,
            lines=items,
            total=format_money(status.order_total),
        )


class ActionRemindShortfalls(RetailAction):
    """ "给余额不够的户发个存款提醒": list the short shops and ask before sending anything."""

    action_name = "action_remind_shortfalls"

    def respond(self, turn: Turn) -> Reply:
        require_manager(turn.principal)
        short = shortfalls(turn.session, turn.principal, clock=turn.clock)
        if not short:
            return Reply(texts=[turn.t("visit.remind.none")])
        names = _territory_names(turn)
        items = "\n".join(
            turn.t(
                "visit.remind.item",
                shop=names.get(s.retailer_code, s.retailer_name),
                shortfall=format_money(s.shortfall),
            )
            for s in short
        )
        return Reply(
            texts=[turn.t("visit.remind.offer", count=len(short), items=items)],
            buttons=[
                # The tap names this offer, so confirming it twice sends one set of reminders.
                Button(
                    turn.t("visit.remind.button"),
                    payload("remind_shortfalls_send", message_ref(turn.tracker) or None),
                ),
                Button(turn.t("visit.button.cancel"), payload("pending_cancel")),
            ],
        )


class ActionRemindShortfallsSend(RetailAction):
    """The manager confirmed: enqueue the deposit reminders through the outbox, once per offer
    (a second or replayed tap on the same offer queues nothing and says so)."""

    action_name = "action_remind_shortfalls_send"

    def respond(self, turn: Turn) -> Reply:
        require_manager(turn.principal)
        sent = send_deposit_reminders(
            turn.session, turn.principal, offer_key=turn.entity("ref"), clock=turn.clock
        )
        if sent.already:
            return Reply(texts=[turn.t("visit.remind.already")])
        report = sent.report
        names = _territory_names(turn)
        sep = turn.t("visit.list_sep")
        texts = []
        if report.queued:
            shops = sep.join(names.get(code, code) for code in report.queued)
            texts.append(turn.t("visit.remind.done", count=len(report.queued), shops=shops))
        else:
            texts.append(turn.t("visit.remind.nothing"))
        if report.skipped:
            items = sep.join(
                turn.t(
                    "visit.remind.skip_item",
                    shop=names.get(code, code),
                    reason=turn.t(
                        "visit.remind.reason.already"
                        if reason == "already"
                        else "visit.remind.reason.other"
                    ),
                )
                for code, reason in report.skipped.items()
            )
            texts.append(turn.t("visit.remind.skipped", items=items))
        return Reply(texts=["\n".join(texts)])


def _territory_names(turn: Turn) -> dict[str, str]:
    """Shop code -> name in the turn's language, for the manager's territory."""
    return {
        shop.code: shop_name(shop, turn.language)
        for shop in visible_retailers(turn.session, turn.principal)
    }
