"""Binding Telegram accounts, and who may see which shop."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from retail import access
from retail.clock import FixedClock
from retail.db import Database
from retail.errors import BindingFailed, NotBound, NotYourShop
from retail.models import Retailer, User


def _retailer(session, code: str) -> Retailer:  # type: ignore[no-untyped-def]
    return session.scalar(select(Retailer).where(Retailer.code == code))


def _unbound_user(session) -> User:  # type: ignore[no-untyped-def]
    return session.scalar(select(User).where(User.telegram_user_id.is_(None)).order_by(User.id))


def test_demo_accounts_are_bound_to_their_records(any_db: Database) -> None:
    with any_db.session() as session:
        retailer = access.principal_for(session, 10001)
        manager = access.principal_for(session, 20001)
        assert (retailer.role, _retailer(session, "R001").id) == ("retailer", retailer.retailer_id)
        assert manager.role == "manager"


def test_an_unknown_telegram_account_is_not_served(any_db: Database) -> None:
    with any_db.session() as session, pytest.raises(NotBound):
        access.principal_for(session, 99999)


def test_binding_by_phone_accepts_only_the_senders_own_contact(
    any_db: Database, clock: FixedClock
) -> None:
    with any_db.session() as session:
        phone = _unbound_user(session).phone
        with pytest.raises(BindingFailed) as refused:
            access.bind_by_phone(
                session, telegram_user_id=555, contact_user_id=666, phone=phone, clock=clock
            )
        assert refused.value.params == {"reason": "not_own_contact"}
        principal = access.bind_by_phone(
            session, telegram_user_id=555, contact_user_id=555, phone=f"+86 {phone}", clock=clock
        )
        assert access.principal_for(session, 555) == principal


def test_a_phone_with_no_record_does_not_bind(any_db: Database, clock: FixedClock) -> None:
    with any_db.session() as session, pytest.raises(BindingFailed):
        access.bind_by_phone(
            session, telegram_user_id=555, contact_user_id=555, phone="13012345678", clock=clock
        )


def test_a_binding_code_works_once(any_db: Database, clock: FixedClock) -> None:
    with any_db.session() as session:
        user = _unbound_user(session)
        access.issue_binding_code(
            session, user_id=user.id, code="ab12cd34", clock=clock, valid_for=timedelta(days=1)
        )
        principal = access.bind_by_code(
            session, telegram_user_id=777, code=" AB12CD34", clock=clock
        )
        assert principal.user_id == user.id
        with pytest.raises(BindingFailed):
            access.bind_by_code(session, telegram_user_id=778, code="AB12CD34", clock=clock)


def test_an_expired_binding_code_is_refused(any_db: Database, clock: FixedClock) -> None:
    with any_db.session() as session:
        user = _unbound_user(session)
        access.issue_binding_code(
            session, user_id=user.id, code="OLD00001", clock=clock, valid_for=timedelta(hours=1)
        )
        clock.advance(timedelta(hours=2))
        with pytest.raises(BindingFailed):
            access.bind_by_code(session, telegram_user_id=779, code="OLD00001", clock=clock)


def test_a_record_bound_to_someone_else_cannot_be_taken(
    any_db: Database, clock: FixedClock
) -> None:
    with any_db.session() as session:
        phone = _retailer(session, "R001").phone
        with pytest.raises(BindingFailed) as taken:
            access.bind_by_phone(
                session, telegram_user_id=4242, contact_user_id=4242, phone=phone, clock=clock
            )
        assert taken.value.params == {"reason": "taken"}


def test_a_retailer_sees_only_their_own_shop(any_db: Database) -> None:
    with any_db.session() as session:
        principal = access.principal_for(session, 10001)
        assert [r.code for r in access.visible_retailers(session, principal)] == ["R001"]
        with pytest.raises(NotYourShop):
            access.require_retailer(session, principal, _retailer(session, "R002").id)


def test_a_manager_sees_only_their_territory(any_db: Database) -> None:
    with any_db.session() as session:
        wang = access.principal_for(session, 20001)
        li = access.principal_for(session, 20002)
        wang_shops = {r.code for r in access.visible_retailers(session, wang)}
        li_shops = {r.code for r in access.visible_retailers(session, li)}
        assert {"R001", "R002"} <= wang_shops
        assert "R003" in li_shops
        assert wang_shops.isdisjoint(li_shops)
        assert access.require_retailer(session, wang, _retailer(session, "R002").id).code == "R002"
        with pytest.raises(NotYourShop):
            access.require_retailer(session, li, _retailer(session, "R001").id)


def test_a_chosen_language_wins_over_the_message_language(any_db: Database) -> None:
    with any_db.session() as session:
        principal = access.principal_for(session, 10001)
        assert access.language_for(session, 10001, "en") == "en"
        access.choose_language(session, principal, "en")
        assert access.language_for(session, 10001, "zh") == "en"
        assert access.language_for(session, 99999, None, fallback="en-US") == "en"
