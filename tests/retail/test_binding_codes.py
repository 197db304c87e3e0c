"""Staff issue one-time binding codes (scripts/binding_codes.py, retail.access): the printed
code binds the record's Telegram account once, a record without a user gets one, and unknown or
already bound records get nothing.

Demo data: R004 陈记杂货 is not bound yet (its demo code is BIND4R04); managers M001 and M002 are
bound to Telegram 20001 and 20002.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import delete, select

from retail import access
from retail.clock import SHANGHAI, SystemClock
from retail.db import Database
from retail.errors import BindingFailed
from retail.models import BindingCode, Manager, Retailer, User
from scripts.binding_codes import main

START = re.compile(r"^\s+/start ([A-Z0-9]{8})$", re.MULTILINE)


@pytest.fixture
def database_url(db: Database, monkeypatch: pytest.MonkeyPatch) -> str:
    """The command's database is the test's (through DATABASE_URL)."""
    url = str(db.engine.url)
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def _printed_code(out: str) -> str:
    codes = START.findall(out)
    assert len(codes) == 2 and codes[0] == codes[1], out
    return str(codes[0])


def test_the_printed_code_binds_the_retailer_once_and_retires_the_older_code(
    db: Database, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = datetime.now(SHANGHAI)

    status = main(["--retailer", "R004"])
    out = capsys.readouterr().out
    code = _printed_code(out)
    with db.session() as session:
        principal = access.bind_by_code(
            session, telegram_user_id=70004, code=code, clock=SystemClock()
        )
        r004 = session.scalar(select(Retailer).where(Retailer.code == "R004"))
        assert r004 is not None
    with db.session() as session, pytest.raises(BindingFailed):
        access.bind_by_code(session, telegram_user_id=70005, code=code, clock=SystemClock())
    with db.session() as session, pytest.raises(BindingFailed):
        access.bind_by_code(session, telegram_user_id=70006, code="BIND4R04", clock=SystemClock())

    assert status == 0
    assert (principal.role, principal.retailer_id) == ("retailer", r004.id)
    assert f"零售户 {r004.name}(R004) 的一次性绑定码:{code}" in out
    assert f"One-time binding code for retailer {r004.name_en} (R004): {code}" in out
    expires = datetime.strptime(
        re.search(r"Valid until (\S+ \S+)", out).group(1),  # type: ignore[union-attr]
        "%Y-%m-%d %H:%M",
    ).replace(tzinfo=SHANGHAI)
    assert before + timedelta(hours=72) - timedelta(minutes=1) <= expires
    assert expires <= datetime.now(SHANGHAI) + timedelta(hours=72)
    assert f"有效期至 {expires:%Y-%m-%d %H:%M}(北京时间)" in out


def test_a_record_without_a_user_gets_one_that_the_code_binds(
    db: Database, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with db.session() as session:
        r004 = session.scalar(select(Retailer).where(Retailer.code == "R004"))
        assert r004 is not None
        user_id = session.scalar(select(User.id).where(User.retailer_id == r004.id))
        session.execute(delete(BindingCode).where(BindingCode.user_id == user_id))
        session.execute(delete(User).where(User.id == user_id))

    status = main(["--retailer", "R004", "--valid-hours", "24"])
    code = _printed_code(capsys.readouterr().out)
    with db.session() as session:
        principal = access.bind_by_code(
            session, telegram_user_id=70004, code=code, clock=SystemClock()
        )
        user = session.get(User, principal.user_id)
        assert user is not None
        binding = session.scalar(select(BindingCode).where(BindingCode.code == code))
        assert binding is not None

    assert status == 0
    assert (user.role, user.retailer_id, user.phone) == ("retailer", r004.id, r004.phone)
    assert binding.used_at is not None
    assert timedelta(hours=23, minutes=59) < binding.expires_at - binding.used_at
    assert binding.expires_at - binding.used_at <= timedelta(hours=24)


def test_a_manager_gets_a_code_once_their_old_account_is_unlinked(
    db: Database, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with db.session() as session:
        m002 = session.scalar(select(Manager).where(Manager.code == "M002"))
        assert m002 is not None
        user = session.scalar(select(User).where(User.manager_id == m002.id))
        assert user is not None
        user.telegram_user_id = None

    status = main(["--manager", "M002"])
    out = capsys.readouterr().out
    code = _printed_code(out)
    with db.session() as session:
        principal = access.bind_by_code(
            session, telegram_user_id=70002, code=code, clock=SystemClock()
        )

    assert status == 0
    assert f"客户经理 {m002.name}(M002)" in out
    assert (principal.role, principal.manager_id) == ("manager", m002.id)


def test_unknown_and_already_bound_records_get_no_code(
    db: Database, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with db.session() as session:
        codes_before = len(session.scalars(select(BindingCode)).all())

    unknown = main(["--retailer", "R999"])
    unknown_err = capsys.readouterr().err
    bound = main(["--manager", "M001"])
    bound_err = capsys.readouterr().err
    with db.session() as session:
        codes_after = len(session.scalars(select(BindingCode)).all())

    assert (unknown, bound) == (2, 1)
    assert unknown_err.splitlines() == [
        "没有编号为 R999 的零售户,未发放绑定码。",
        "No retailer with the code R999: nothing was issued.",
    ]
    assert bound_err.splitlines() == [
        "客户经理 M001 已经绑定了 Telegram 账号,未发放绑定码。",
        "The customer manager M001 is already linked to a Telegram account: nothing was issued.",
    ]
    assert codes_after == codes_before


@pytest.mark.parametrize(
    "argv",
    [
        ["--valid-hours", "72"],
        ["--retailer", "R004", "--manager", "M001"],
        ["--retailer", "R004", "--valid-hours", "0"],
        ["--retailer", "R004", "--valid-hours", "three"],
    ],
)
def test_the_command_needs_one_record_and_sensible_hours(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
