"""Who is talking, and what they may see.

Every service that reads or writes shop data takes a :class:`Principal` and checks it here, so
the rule "a retailer sees only their shop, a manager only their territory" holds whatever adapter
calls in.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from retail.clock import Clock
from retail.errors import BindingFailed, NotBound, NotYourShop, RecordNotFound, WrongRole
from retail.i18n import reply_language, supported
from retail.models import BindingCode, Manager, Retailer, User

RETAILER = "retailer"
MANAGER = "manager"
ADMIN = "admin"


@dataclass(frozen=True)
class Principal:
    """A bound user as the services see them."""

    user_id: int
    telegram_user_id: int
    role: str
    retailer_id: int | None
    manager_id: int | None
    language: str
    name: str

    @property
    def is_retailer(self) -> bool:
        return self.role == RETAILER

    @property
    def is_manager(self) -> bool:
        return self.role == MANAGER


def _principal(user: User) -> Principal:
    assert user.telegram_user_id is not None
    if user.retailer is not None:
        name = user.retailer.owner or user.retailer.name
    elif user.manager is not None:
        name = user.manager.display_zh if user.language == "zh" else user.manager.display_en
    else:
        name = ""
    return Principal(
        user_id=user.id,
        telegram_user_id=user.telegram_user_id,
        role=user.role,
        retailer_id=user.retailer_id,
        manager_id=user.manager_id,
        language=supported(user.language),
        name=name,
    )


def principal_for(session: Session, telegram_user_id: int) -> Principal:
    """The principal bound to a Telegram account; raises :class:`NotBound` if there is none."""
    user = session.scalar(select(User).where(User.telegram_user_id == telegram_user_id))
    if user is None:
        raise NotBound()
    return _principal(user)


def normalise_phone(phone: str) -> str:
    """Digits only, without the +86 country prefix: ``+86 139-0000-0001`` -> ``13900000001``."""
    digits = "".join(char for char in phone if char.isdigit())
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits


def _bind(session: Session, user: User, telegram_user_id: int, clock: Clock) -> Principal:
    if user.telegram_user_id == telegram_user_id:
        return _principal(user)
    if user.telegram_user_id is not None:
        raise BindingFailed(reason="taken")
    already = session.scalar(select(User).where(User.telegram_user_id == telegram_user_id))
    if already is not None:
        raise BindingFailed(reason="already")
    user.telegram_user_id = telegram_user_id
    user.bound_at = clock.now()
    session.flush()
    return _principal(user)


def bind_by_phone(
    session: Session,
    *,
    telegram_user_id: int,
    contact_user_id: int | None,
    phone: str,
    clock: Clock,
) -> Principal:
    """Bind the sender by a shared contact; only the sender's own contact is accepted."""
    if contact_user_id != telegram_user_id:
        raise BindingFailed(reason="not_own_contact")
    user = session.scalar(select(User).where(User.phone == normalise_phone(phone)))
    if user is None:
        raise BindingFailed(reason="no_match")
    return _bind(session, user, telegram_user_id, clock)


def bind_by_code(session: Session, *, telegram_user_id: int, code: str, clock: Clock) -> Principal:
    """Bind the sender with a one-time code; a used or expired code fails."""
    binding = session.scalar(
        select(BindingCode).where(BindingCode.code == code.strip().upper()).with_for_update()
    )
    if binding is None or binding.used_at is not None or binding.expires_at <= clock.now():
        raise BindingFailed(reason="no_match")
    user = session.get(User, binding.user_id)
    if user is None:
        raise BindingFailed(reason="no_match")
    principal = _bind(session, user, telegram_user_id, clock)
    binding.used_at = clock.now()
    binding.used_by_telegram_id = telegram_user_id
    return principal


def issue_binding_code(
    session: Session, *, user_id: int, code: str, clock: Clock, valid_for: timedelta
) -> BindingCode:
    """Record a one-time code for a user, valid for ``valid_for``."""
    binding = BindingCode(code=code.upper(), user_id=user_id, expires_at=clock.now() + valid_for)
    session.add(binding)
    session.flush()
    return binding


BINDING_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""Letters and digits that cannot be misread for each other (no 0/O, 1/I/L)."""
BINDING_CODE_LENGTH = 8


def new_binding_code() -> str:
    """A random code to type after ``/start``: 8 characters, about 40 bits."""
    return "".join(secrets.choice(BINDING_ALPHABET) for _ in range(BINDING_CODE_LENGTH))


@dataclass(frozen=True)
class IssuedBindingCode:
    """A code handed out for a record: what to tell the person, and whose record it is."""

    code: str
    expires_at: datetime
    role: str
    record_code: str
    name_zh: str
    name_en: str


def _record(
    session: Session, *, retailer_code: str | None, manager_code: str | None
) -> Retailer | Manager:
    if (retailer_code is None) == (manager_code is None):
        raise ValueError("give exactly one of retailer_code and manager_code")
    record: Retailer | Manager | None
    if retailer_code is not None:
        record = session.scalar(select(Retailer).where(Retailer.code == retailer_code.strip()))
    else:
        record = session.scalar(select(Manager).where(Manager.code == str(manager_code).strip()))
    if record is None:
        raise RecordNotFound()
    return record


def _record_user(session: Session, record: Retailer | Manager) -> User:
    """The record's first user not bound yet, created from the record when it has none;
    :class:`BindingFailed` (``taken``) when every user of the record is bound already."""
    is_shop = isinstance(record, Retailer)
    link = User.retailer_id if is_shop else User.manager_id
    users = list(session.scalars(select(User).where(link == record.id).order_by(User.id)))
    unbound = [user for user in users if user.telegram_user_id is None]
    if unbound:
        return unbound[0]
    if users:
        raise BindingFailed(reason="taken")
    user = User(
        role=RETAILER if is_shop else MANAGER,
        retailer_id=record.id if is_shop else None,
        manager_id=None if is_shop else record.id,
        phone=normalise_phone(record.phone),
        language=supported(record.language),
    )
    session.add(user)
    session.flush()
    return user


def issue_record_binding_code(
    session: Session,
    *,
    clock: Clock,
    valid_for: timedelta,
    retailer_code: str | None = None,
    manager_code: str | None = None,
) -> IssuedBindingCode:
    """A new one-time code for the person of a retailer or a manager record (give one code).

    The record's user is created if it has none yet. Earlier unused codes of that user stop
    working, so only the code handed out last binds. :class:`RecordNotFound` for an unknown
    record; :class:`BindingFailed` (``taken``) if its user is already bound to Telegram.
    """
    record = _record(session, retailer_code=retailer_code, manager_code=manager_code)
    user = _record_user(session, record)
    now = clock.now()
    earlier = select(BindingCode).where(
        BindingCode.user_id == user.id, BindingCode.used_at.is_(None), BindingCode.expires_at > now
    )
    for binding in session.scalars(earlier):
        binding.expires_at = now
    code = new_binding_code()
    while session.scalar(select(BindingCode.id).where(BindingCode.code == code)) is not None:
        code = new_binding_code()
    binding = issue_binding_code(
        session, user_id=user.id, code=code, clock=clock, valid_for=valid_for
    )
    if isinstance(record, Retailer):
        names = (record.name, record.name_en or record.name)
    else:
        names = (record.name, record.name)
    return IssuedBindingCode(
        code=binding.code,
        expires_at=binding.expires_at,
        role=user.role,
        record_code=record.code,
        name_zh=names[0],
        name_en=names[1],
    )


def user_for(session: Session, telegram_user_id: int) -> User | None:
    """The user bound to a Telegram account, or None: one query, for callers that ask several
    things about the same sender in one transaction (``retail.inbound``)."""
    return session.scalar(select(User).where(User.telegram_user_id == telegram_user_id))


def keep_language(user: User, language: str) -> None:
    """Keep the language a bound user last wrote in, unless they chose one explicitly."""
    if not user.language_pinned:
        user.language = supported(language)


def choose_language(session: Session, principal: Principal, language: str) -> None:
    """The user asked for a language: answer in it from now on, whatever they write in."""
    user = session.get(User, principal.user_id)
    if user is not None:
        user.language = supported(language)
        user.language_pinned = True


def language_for(
    session: Session, telegram_user_id: int, detected: str | None, *, fallback: str | None = None
) -> str:
    """The language to answer a message in: the one the user chose, else the message's
    (``detected`` by lang.language), else the saved one (or ``fallback``, e.g. Telegram's
    language code, for an unbound user)."""
    return language_of(user_for(session, telegram_user_id), detected, fallback=fallback)


def language_of(user: User | None, detected: str | None, *, fallback: str | None = None) -> str:
    """:func:`language_for` for a user already loaded (None: a stranger)."""
    if user is not None and user.language_pinned:
        return supported(user.language)
    saved = user.language if user else (fallback or "")[:2].lower() or None
    return reply_language(detected, saved)


def visible_retailers(session: Session, principal: Principal) -> list[Retailer]:
    """The shops this principal may see: their own, or their territory."""
    query = select(Retailer).order_by(Retailer.code)
    if principal.is_retailer:
        query = query.where(Retailer.id == principal.retailer_id)
    elif principal.is_manager:
        query = query.where(Retailer.manager_id == principal.manager_id)
    elif principal.role != ADMIN:
        return []
    return list(session.scalars(query))


def require_retailer(session: Session, principal: Principal, retailer_id: int) -> Retailer:
    """The shop, if the principal may see it; else :class:`NotYourShop`."""
    retailer = session.get(Retailer, retailer_id)
    if retailer is None:
        raise RecordNotFound()
    allowed = (
        principal.role == ADMIN
        or (principal.is_retailer and principal.retailer_id == retailer.id)
        or (principal.is_manager and principal.manager_id == retailer.manager_id)
    )
    if not allowed:
        raise NotYourShop()
    return retailer


def own_shop(session: Session, principal: Principal) -> Retailer:
    """The retailer's own shop; other roles get :class:`WrongRole`."""
    if not principal.is_retailer or principal.retailer_id is None:
        raise WrongRole()
    return require_retailer(session, principal, principal.retailer_id)
