"""Visit notes: a manager's note becomes a draft, is saved, corrected, and confirmed.

The adapter reads the manager's message into :class:`~retail.visits.records.NoteFacts` (typed
values and the raw text); this module never reads the text. A note is never written straight
away: :func:`draft_visit` stores a draft (a :class:`~retail.models.visits.VisitDraft`, with
the raw text) that the manager saves (:func:`save_visit`, which writes the :class:`VisitNote`)
or cancels; an unconfirmed message never touches the visit record. A correction
(:func:`amend_last`) drafts a corrected copy of the newest note (or draft); saving it marks the
note it amends ``superseded``, and both raw texts stay.
After a save the retailer is pushed a one-tap "confirm visit" (签字确认) through the outbox;
:func:`confirm_by_retailer` records it. Only managers record notes, and only for their own
shops; only the visited retailer confirms. Queries live in :mod:`retail.visits.queries`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from retail import outbox
from retail.access import ADMIN, Principal, visible_retailers
from retail.clock import Clock, local
from retail.errors import (
    AmendNotUnderstood,
    ManagersOnly,
    NothingToAmend,
    VisitShopAmbiguous,
    VisitShopUnknown,
    VisitUnavailable,
    WrongRole,
)
from retail.i18n import format_datetime, t
from retail.models import FollowUp, Retailer, User, VisitNote
from retail.models.visits import VisitDraft
from retail.outbox import PushButton
from retail.visits.records import (
    PRICE_TAGS,
    SAVED,
    STOCK_OUT,
    NoteFacts,
    Record,
    VisitView,
    draft_view,
    load_note,
    note_view,
    visit_moment,
    write_note,
)

PENDING = "pending"
CANCELLED = "cancelled"
SUPERSEDED = "superseded"
VISIT_CONFIRM = "visit_confirm"
"""Outbox kind of the push that asks a retailer to confirm a visit."""
ConfirmPayload = Callable[[int], str]
"""What the retailer's confirm button sends back for a note id: the adapter's dialogue
message (retail knows no Rasa intents)."""


@dataclass(frozen=True)
class SavedVisit:
    """A saved note and whether the retailer was asked to confirm it (False: not on Telegram,
    or asked before). ``already_saved``: the draft had been saved before (a second tap on
    保存, a replayed one), so nothing was written this time."""

    visit: VisitView
    confirmation_queued: bool
    already_saved: bool = False


def require_manager(principal: Principal) -> None:
    """Manager flows are for managers (and staff); anyone else gets a polite refusal."""
    if not (principal.is_manager or principal.role == ADMIN):
        raise ManagersOnly()


def shop_name(retailer: Retailer, language: str) -> str:
    """A shop's name in ``language`` (the Chinese name when it has no English one)."""
    return retailer.name_en or retailer.name if language == "en" else retailer.name


def resolve_shop(
    session: Session, principal: Principal, candidates: Sequence[int], *, code: str | None = None
) -> Retailer:
    """The one shop of the principal's territory among ``candidates`` (retailer ids a message
    names, best first), or the one with ``code``.

    :class:`VisitShopUnknown` when none is in the territory (a shop outside it is never
    revealed), :class:`VisitShopAmbiguous` with the candidates when several are.
    """
    shops = visible_retailers(session, principal)
    if code:
        chosen = [shop for shop in shops if shop.code == code]
        if not chosen:
            raise VisitShopUnknown()
        return chosen[0]
    by_id = {shop.id: shop for shop in shops}
    found = [by_id[rid] for rid in dict.fromkeys(candidates) if rid in by_id]
    if not found:
        raise VisitShopUnknown()
    if len(found) > 1:
        raise _ambiguous(found, principal.language)
    return found[0]


def _ambiguous(found: list[Retailer], language: str) -> VisitShopAmbiguous:
    names = " / ".join(f"{shop_name(shop, language)} ({shop.code})" for shop in found)
    return VisitShopAmbiguous(shops=names, codes=",".join(shop.code for shop in found))


def _manager_id(principal: Principal, retailer_id: int, session: Session) -> int:
    if principal.manager_id is not None:
        return principal.manager_id
    retailer = session.get(Retailer, retailer_id)
    assert retailer is not None
    return retailer.manager_id


def _store_draft(
    session: Session,
    principal: Principal,
    record: Record,
    *,
    raw_text: str,
    source: str,
    clock: Clock,
    amends_id: int | None = None,
) -> VisitDraft:
    draft = VisitDraft(
        manager_id=_manager_id(principal, record.retailer_id, session),
        retailer_id=record.retailer_id,
        raw_text=raw_text,
        source=source,
        record=record.to_json(),
        amends_id=amends_id,
        status=PENDING,
        created_at=clock.now(),
    )
    session.add(draft)
    session.flush()
    return draft


def draft_visit(
    session: Session,
    principal: Principal,
    facts: NoteFacts,
    *,
    clock: Clock,
    source: str = "text",
    retailer_code: str | None = None,
) -> VisitView:
    """Keep a manager's note as a draft to show back with save/cancel buttons.

    ``retailer_code`` settles the shop when the manager picked it after an ambiguous note.
    Raises :class:`VisitShopUnknown` / :class:`VisitShopAmbiguous` when the shop is unclear.
    """
    require_manager(principal)
    retailer = resolve_shop(session, principal, facts.shops, code=retailer_code)
    record = Record.from_facts(facts, retailer.id)
    draft = _store_draft(
        session, principal, record, raw_text=facts.raw_text, source=source, clock=clock
    )
    return draft_view(session, draft)


def _own_draft(session: Session, principal: Principal, draft_id: int) -> VisitDraft:
    """A draft of this manager for a shop still theirs; else :class:`VisitUnavailable`."""
    require_manager(principal)
    draft = session.get(VisitDraft, draft_id, with_for_update=True)
    shops = {shop.id for shop in visible_retailers(session, principal)}
    if draft is None or draft.retailer_id not in shops:
        raise VisitUnavailable(reason="unknown")
    if principal.is_manager and draft.manager_id != principal.manager_id:
        raise VisitUnavailable(reason="unknown")
    return draft


def _push_confirmation(
    session: Session, note: VisitNote, *, clock: Clock, confirm_payload: ConfirmPayload
) -> bool:
    """Ask the retailer (if on Telegram) to confirm the visit with one tap."""
    user = session.scalar(
        select(User).where(User.retailer_id == note.retailer_id, User.telegram_user_id.is_not(None))
    )
    retailer = session.get(Retailer, note.retailer_id)
    if user is None or user.telegram_user_id is None or retailer is None:
        return False
    language = user.language
    manager = retailer.manager
    manager_name = manager.display_en if language == "en" else manager.display_zh
    outbox.enqueue(
        session,
        dedupe_key=f"visit:{note.id}:confirm",
        kind=VISIT_CONFIRM,
        chat_id=user.telegram_user_id,
        language=language,
        text=t(
            language,
            "visit.confirm_request",
            manager=manager_name,
            shop=shop_name(retailer, language),
            at=format_datetime(note.visited_at, language),
        ),
        clock=clock,
        retailer_id=retailer.id,
        buttons=[PushButton(t(language, "visit.confirm_button"), confirm_payload(note.id))],
        expires_at=clock.now() + timedelta(days=7),
    )
    return True


def save_visit(
    session: Session,
    principal: Principal,
    draft_id: int,
    *,
    clock: Clock,
    confirm_payload: ConfirmPayload,
) -> SavedVisit:
    """Write a draft as a saved note; a correction supersedes the note it amends. The retailer
    is asked to confirm with a button that sends ``confirm_payload(note id)``. Saving twice
    writes once (even two saves at the same moment: the note's draft id is unique) and says
    so with ``already_saved``; a cancelled or replaced draft is refused."""
    draft = _own_draft(session, principal, draft_id)
    if draft.status == SAVED and draft.note_id is not None:
        return _saved_before(session, draft.note_id)
    if draft.status != PENDING:
        raise VisitUnavailable(reason=draft.status)
    try:
        with session.begin_nested():
            note = _write_draft(session, draft, clock=clock)
    except IntegrityError:
        earlier = session.scalar(select(VisitNote.id).where(VisitNote.draft_id == draft_id))
        if earlier is None:
            raise
        return _saved_before(session, earlier)
    queued = _push_confirmation(session, note, clock=clock, confirm_payload=confirm_payload)
    return SavedVisit(note_view(session, note), confirmation_queued=queued)


def _saved_before(session: Session, note_id: int) -> SavedVisit:
    """The note a draft was saved as before; nothing is written or sent again."""
    note = load_note(session, note_id)
    assert note is not None
    return SavedVisit(note_view(session, note), confirmation_queued=False, already_saved=True)


def _write_draft(session: Session, draft: VisitDraft, *, clock: Clock) -> VisitNote:
    """The draft as a saved note (superseding the note it corrects); the draft is marked saved."""
    if draft.amends_id is not None:
        original = session.get(VisitNote, draft.amends_id, with_for_update=True)
        if original is not None and original.status != SAVED:
            raise VisitUnavailable(reason=SUPERSEDED)
        if original is not None:
            original.status = SUPERSEDED
            # The correction carries the follow-ups over; the old ones would remind twice.
            for follow_up in session.scalars(
                select(FollowUp).where(FollowUp.note_id == original.id, FollowUp.done_at.is_(None))
            ):
                follow_up.done_at = clock.now()
    note = write_note(
        session,
        Record.from_json(draft.record),
        manager_id=draft.manager_id,
        raw_text=draft.raw_text,
        source=draft.source,
        recorded_at=clock.now(),
        amends_id=draft.amends_id,
        draft_id=draft.id,
    )
    draft.status, draft.note_id, draft.decided_at = SAVED, note.id, clock.now()
    session.flush()
    return note


def cancel_visit(session: Session, principal: Principal, draft_id: int, *, clock: Clock) -> None:
    """Drop a draft; nothing is recorded. A saved one stays saved (correct it instead)."""
    draft = _own_draft(session, principal, draft_id)
    if draft.status == SAVED:
        raise VisitUnavailable(reason=SAVED)
    if draft.status == PENDING:
        draft.status, draft.decided_at = CANCELLED, clock.now()
        session.flush()


def _latest(session: Session, principal: Principal) -> tuple[Record, int | None, VisitDraft | None]:
    """What a correction applies to: the manager's newest pending draft or saved note,
    whichever is newer; with the note id a save would supersede, and the draft it replaces."""
    require_manager(principal)
    note = session.scalar(
        select(VisitNote)
        .where(VisitNote.manager_id == principal.manager_id, VisitNote.status == SAVED)
        .order_by(VisitNote.recorded_at.desc(), VisitNote.id.desc())
        .limit(1)
    )
    draft = session.scalar(
        select(VisitDraft)
        .where(VisitDraft.manager_id == principal.manager_id, VisitDraft.status == PENDING)
        .order_by(VisitDraft.created_at.desc(), VisitDraft.id.desc())
        .limit(1)
    )
    if draft is not None and (note is None or draft.created_at >= note.recorded_at):
        return Record.from_json(draft.record), draft.amends_id, draft
    if note is None:
        raise NothingToAmend()
    loaded = load_note(session, note.id)
    assert loaded is not None
    return Record.of_note(loaded), note.id, None


def _amend_counts(record: Record, facts: NoteFacts) -> bool:
    """Apply corrected stock counts; a bare count (库存是十二条) fits a note with one count."""
    changed = False
    named = dict(facts.stock)
    if not named and facts.bare_count is not None and len(record.stock) == 1:
        named = {record.stock[0][0]: facts.bare_count}
    for product_id, cartons in named.items():
        record.stock = [(pid, c) for pid, c in record.stock if pid != product_id]
        record.stock.append((product_id, cartons))
        record.stock_outs = [pid for pid in record.stock_outs if pid != product_id]
        changed = True
    for product_id in facts.stock_outs:
        if product_id not in named and product_id not in record.stock_outs:
            record.stock_outs.append(product_id)
            record.stock = [(pid, c) for pid, c in record.stock if pid != product_id]
            changed = True
    return changed


def amend_last(
    session: Session,
    principal: Principal,
    facts: NoteFacts,
    *,
    clock: Clock,
    source: str = "text",
) -> VisitView:
    """Draft a corrected copy of the manager's newest note (or pending draft).

    Understood corrections: stock counts (芙蓉王是十二条, or a bare 库存是十二条 when the note
    counted one product), stock-outs, the shop, the visit day, the number of price tags.
    Anything else raises :class:`AmendNotUnderstood` and changes nothing. The raw text of the
    correction is the new draft's; the original keeps its own.
    """
    record, amends_id, replaced = _latest(session, principal)
    changed = _amend_counts(record, facts)
    territory = {shop.id for shop in visible_retailers(session, principal)}
    shop = facts.shops[0] if len(facts.shops) == 1 else None
    if shop is not None and shop in territory and shop != record.retailer_id:
        record.retailer_id = shop
        changed = True
    if facts.visited is not None:
        at = visit_moment(facts.visited, facts.sent_at)
        if local(at).date() != local(record.visited_at).date():
            record.visited_at, record.time_stated = at, True
            changed = True
    if facts.price_tags is not None:
        record.price_tags = facts.price_tags
        record.tags.add(PRICE_TAGS)
        changed = True
    if not changed:
        raise AmendNotUnderstood()
    if record.stock_outs:
        record.tags.add(STOCK_OUT)
    else:
        record.tags.discard(STOCK_OUT)
    text = facts.raw_text
    if replaced is not None:
        replaced.status, replaced.decided_at = SUPERSEDED, clock.now()
        text = f"{replaced.raw_text}\n{text}" if replaced.amends_id is None else text
    draft = _store_draft(
        session, principal, record, raw_text=text, source=source, clock=clock, amends_id=amends_id
    )
    return draft_view(session, draft)


def confirm_by_retailer(
    session: Session, principal: Principal, note_id: int, *, clock: Clock
) -> VisitView:
    """The visited retailer confirms the visit (签字确认); only they can, only a saved note."""
    if not principal.is_retailer:
        raise WrongRole()
    note = load_note(session, note_id)
    if note is None or note.retailer_id != principal.retailer_id:
        raise VisitUnavailable(reason="unknown")
    if note.status != SAVED:
        raise VisitUnavailable(reason=note.status)
    if note.confirmed_at is None:
        note.confirmed_at = clock.now()
        session.flush()
    return note_view(session, note)
