"""Policy answers: matching questions to the policy table, personalising, importing.

Questions are read by lang.questions, as the actions do, and reach retail as typed terms.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lang.questions import read_question
from retail import access
from retail.access import Principal
from retail.clock import SHANGHAI, FixedClock
from retail.db import Database
from retail.errors import RecordNotFound
from retail.models import Contact, Policy
from retail.policies import (
    POSSIBLE,
    SURE,
    PolicyAnswer,
    PolicyFileError,
    answer_policy,
    find_policies,
    import_policies,
    personalise,
    policy_by_key,
    policy_topics,
    read_policy_file,
    unknown_placeholders,
)
from retail.schema import migrate
from retail.seed import DEMO_DIR, seed_demo
from tests.conftest import NOW

TODAY = datetime(2026, 11, 24, tzinfo=SHANGHAI).date()


def ask(
    session: Session,
    principal: Principal,
    question: str,
    *,
    language: str,
    clock: FixedClock,
    hinted_topics: frozenset[str] = frozenset(),
) -> PolicyAnswer | None:
    """answer_policy the way the actions call it: the question read by lang.questions."""
    return answer_policy(
        session,
        principal,
        read_question(question),
        text=question,
        language=language,
        clock=clock,
        hinted_topics=hinted_topics,
    )


@pytest.fixture(scope="module")
def shared_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """One seeded database for the read-only tests of this module (seeding takes a second)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('policies') / 'retail.db'}"
    migrate(url)
    database = Database(url)
    with database.session() as session:
        seed_demo(session, FixedClock(NOW))
    yield database
    database.dispose()


@pytest.mark.parametrize(
    ("question", "key"),
    [
        ("星级多久调整一次", "star_level_rating"),
        ("我是几星 咋评的", "star_level_rating"),
        ("订货时间是啥时候", "order_window_online"),
        ("几点截止订货", "order_window_online"),
        ("第一次网上订货咋弄", "order_first_time_online"),
        ("控量是怎么回事", "limited_products_quota"),
        ("怎么申请加量", "quota_increase_application"),
        ("扣款失败了会怎样", "settlement_failed_deduction"),
        ("电子结算账户是怎么回事", "settlement_deposit_deduction"),
        ("明码标价有啥要求", "price_labelling"),
        ("怎么识别假烟", "counterfeit_identification"),
        ("调包是啥意思", "counterfeit_swap_trick"),
        ("梅雨天烟怎么存", "storage_humid_season"),
        ("回南天烟咋放", "storage_humid_season"),
        ("有什么促销活动", "new_products_introduction"),
        ("盖红河不做了 用啥替代", "discontinued_honghe_replacement"),
        ("送货是谁负责", "four_roles_contacts"),
        ("专卖管理员管啥", "four_roles_contacts"),
        ("要投诉去哪投诉", "complaint_channel"),
        ("为啥要签字确认", "visit_sign_confirmation"),
        ("订货手机号怎么换", "ordering_phone_change"),
        ("烟草专卖法哪年实施的", "tobacco_monopoly_law"),
        ("小孩来买烟能卖吗", "licence_and_minors"),
        ("山区店进什么烟好", "brand_targeting_by_shop"),
        ("how do i spot fakes", "counterfeit_identification"),
        ("what's the swap trick", "counterfeit_swap_trick"),
        ("how often is star level updated", "star_level_rating"),
        ("when is the order window", "order_window_online"),
        ("how do i apply for more quota", "quota_increase_application"),
        ("what happens if the deduction fails", "settlement_failed_deduction"),
        ("how should i store cigarettes in the rainy season", "storage_humid_season"),
        ("why was Honghe discontinued", "discontinued_honghe_replacement"),
        ("price tag rules?", "price_labelling"),
        ("how do i change my ordering phone number", "ordering_phone_change"),
    ],
)
def test_questions_find_the_policy_that_answers_them(
    shared_db: Database, question: str, key: str
) -> None:
    with shared_db.session() as session:
        [best, *_] = find_policies(session, read_question(question), today=TODAY)
    assert best.policy.key == key
    assert best.confidence >= POSSIBLE


def test_every_topic_in_the_demo_table_is_reachable_by_its_own_title(shared_db: Database) -> None:
    with shared_db.session() as session:
        policies = session.scalars(select(Policy)).all()
        for policy in policies:
            [best, *_] = find_policies(session, read_question(policy.title_zh), today=TODAY)
            assert best.policy.topic == policy.topic, policy.title_zh
            assert best.confidence >= SURE, policy.title_zh


def test_a_topic_the_intent_hints_at_is_nudged_and_a_hint_alone_answers_nothing(
    shared_db: Database, clock: FixedClock
) -> None:
    with shared_db.session() as session:
        terms = read_question("价格标签")
        [plain, *_] = find_policies(session, terms, today=TODAY)
        [hinted, *_] = find_policies(
            session, terms, today=TODAY, hinted_topics=frozenset({"price_label"})
        )
        principal = access.principal_for(session, 10001)
        bare = ask(
            session,
            principal,
            "钱扣了吗",
            language="zh",
            clock=clock,
            hinted_topics=frozenset({"settlement"}),
        )
    assert (plain.policy.key, hinted.policy.key) == ("price_labelling", "price_labelling")
    assert round(hinted.confidence - plain.confidence, 3) == 0.1
    assert bare is None


def test_the_star_level_comes_typed_and_the_text_is_not_read_again(
    shared_db: Database, clock: FixedClock
) -> None:
    question = "控量是怎么回事"
    with shared_db.session() as session:
        principal = access.principal_for(session, 10001)
        answer = answer_policy(
            session,
            principal,
            replace(read_question(question), star_level=5),
            text=question,
            language="zh",
            clock=clock,
        )
    assert answer is not None and (answer.star_level, answer.quota_star_level) == (3, 5)


@pytest.mark.parametrize("question", ["今天天气怎么样", "asdf qwer", "😀😀😀", "1234567"])
def test_a_question_about_nothing_we_know_gets_no_answer(
    shared_db: Database, clock: FixedClock, question: str
) -> None:
    with shared_db.session() as session:
        principal = access.principal_for(session, 10001)
        assert ask(session, principal, question, language="zh", clock=clock) is None


def test_a_retailer_gets_their_own_order_day_window_deduction_time_and_hotline(
    shared_db: Database, clock: FixedClock
) -> None:
    with shared_db.session() as session:
        principal = access.principal_for(session, 10001)
        answer = ask(session, principal, "订货时间是啥时候", language="zh", clock=clock)
    assert answer is not None and answer.sure
    assert "您的订货日是周二" in answer.text
    assert "订货时间为09:00-16:00" in answer.text
    assert "当天18:00从您的电子结算账户扣款" in answer.text
    assert "400-880-1234" in answer.text
    assert "{" not in answer.text and "〔" not in answer.text


def test_a_retailer_gets_their_manager_by_name_and_phone_in_english(
    shared_db: Database, clock: FixedClock
) -> None:
    with shared_db.session() as session:
        principal = access.principal_for(session, 10001)
        answer = ask(
            session, principal, "who do i contact, what are the roles", language="en", clock=clock
        )
    assert answer is not None and answer.key == "four_roles_contacts"
    assert "yours is Manager Wang (13907318801)" in answer.text


def test_a_manager_gets_the_general_text_without_any_shops_facts(
    shared_db: Database, clock: FixedClock
) -> None:
    with shared_db.session() as session:
        principal = access.principal_for(session, 20001)
        answer = ask(session, principal, "订货时间是啥时候", language="zh", clock=clock)
    assert answer is not None
    assert "〔零售户的订货日〕" in answer.text and "〔订货时段〕" in answer.text
    assert "周二" not in answer.text and "09:00-16:00" not in answer.text
    assert answer.quotas == []


def test_a_quota_question_lists_the_retailers_own_quotas(
    shared_db: Database, clock: FixedClock
) -> None:
    with shared_db.session() as session:
        principal = access.principal_for(session, 10001)
        answer = ask(session, principal, "控量是怎么回事", language="zh", clock=clock)
    assert answer is not None and answer.star_level == 3
    quotas = {q.spec: q.max_cartons for q in answer.quotas}
    assert quotas["芙蓉王(软蓝)"] == 4
    assert quotas["芙蓉王(钻石)"] == 3


def test_a_quota_question_about_one_product_and_another_star_level(
    shared_db: Database, clock: FixedClock
) -> None:
    with shared_db.session() as session:
        principal = access.principal_for(session, 10001)
        answer = ask(session, principal, "五星户每次能订多少硬中华", language="zh", clock=clock)
    assert answer is not None and answer.key == "limited_products_quota"
    assert answer.quota_star_level == 5
    assert [q.spec for q in answer.quotas] == ["中华(硬)"]


def test_a_discontinued_product_named_in_the_question_brings_its_replacement(
    shared_db: Database, clock: FixedClock
) -> None:
    with shared_db.session() as session:
        principal = access.principal_for(session, 10001)
        answer = ask(session, principal, "红河为啥停了", language="zh", clock=clock)
    assert answer is not None and answer.key == "discontinued_honghe_replacement"
    assert [(d.spec, d.replacement_spec) for d in answer.discontinued] == [("红河(盖)", "时尚宏声")]


def test_a_policy_out_of_its_effective_period_is_not_used(shared_db: Database) -> None:
    after = FixedClock(datetime(2027, 3, 5, 10, 0, tzinfo=SHANGHAI))
    with shared_db.session() as session:
        principal = access.principal_for(session, 10001)
        before = ask(
            session,
            principal,
            "春节备货有什么安排",
            language="zh",
            clock=FixedClock(datetime(2026, 12, 1, tzinfo=SHANGHAI)),
        )
        later = ask(session, principal, "春节备货有什么安排", language="zh", clock=after)
        with pytest.raises(RecordNotFound):
            policy_by_key(
                session, principal, "spring_festival_stocking_2027", language="zh", clock=after
            )
    assert before is not None and before.key == "spring_festival_stocking_2027"
    assert later is None or later.key != "spring_festival_stocking_2027"


def test_topics_menu_has_one_entry_per_topic(shared_db: Database, clock: FixedClock) -> None:
    with shared_db.session() as session:
        topics = policy_topics(session, language="en", clock=clock)
        all_topics = {p.topic for p in session.scalars(select(Policy))}
    assert len(topics) == len(all_topics)
    assert all(title for _, title in topics)


def test_personalise_fills_known_placeholders_and_leaves_others() -> None:
    text = "订货日{order_day},热线{hotline},{unknown}和{ 也留着"
    assert personalise(text, {"order_day": "周二", "hotline": "400"}) == (
        "订货日周二,热线400,{unknown}和{ 也留着"
    )
    assert unknown_placeholders("{order_day} {star} {manager_name} {x_y}") == ["star", "x_y"]


# ------------------------------------------------------------------ importing

NEW_POLICY_YAML = """
contacts:
  hotline: "400-000-9999"
policies:
  - key: night_delivery_trial
    topic: delivery
    title_zh: "夜间送货试点"
    title_en: "Night delivery trial"
    text_zh: "夜间送货试点从下月开始,您的客户经理{manager_name}会通知具体线路。"
    text_en: "The night delivery trial starts next month; {manager_name} will tell you the route."
    keywords_zh: [夜间送货, 晚上送货, 送货试点]
    keywords_en: [night delivery, evening delivery]
    effective_from: 2026-01-01
    effective_to: null
"""


def test_an_imported_policy_answers_at_once_without_retraining(
    any_db: Database, clock: FixedClock, tmp_path: Path
) -> None:
    path = tmp_path / "policies.yml"
    path.write_text(NEW_POLICY_YAML, encoding="utf-8")
    with any_db.session() as session:
        report = import_policies(session, read_policy_file(path))
    assert (report.added, report.updated, report.contacts) == (["night_delivery_trial"], [], 1)
    with any_db.session() as session:
        principal = access.principal_for(session, 10001)
        answer = ask(session, principal, "晚上送货的试点什么时候开始", language="zh", clock=clock)
        hotline = session.get(Contact, "hotline")
        assert hotline is not None and hotline.value == "400-000-9999"
    assert answer is not None and answer.key == "night_delivery_trial"
    assert "王经理" in answer.text


def test_reimporting_updates_changed_policies_and_reports_unchanged_ones(
    db: Database, tmp_path: Path
) -> None:
    path = tmp_path / "policies.yml"
    path.write_text(NEW_POLICY_YAML, encoding="utf-8")
    with db.session() as session:
        import_policies(session, read_policy_file(path))
    with db.session() as session:
        again = import_policies(session, read_policy_file(path))
    path.write_text(NEW_POLICY_YAML.replace("下月开始", "12月1日开始"), encoding="utf-8")
    with db.session() as session:
        changed = import_policies(session, read_policy_file(path))
        policy = session.scalar(select(Policy).where(Policy.key == "night_delivery_trial"))
        assert policy is not None and "12月1日开始" in policy.text_zh
    assert again.unchanged == ["night_delivery_trial"]
    assert changed.updated == ["night_delivery_trial"]


def test_a_csv_file_imports_with_pipe_separated_keywords(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "policies.csv"
    path.write_text(
        "key,topic,title_zh,title_en,text_zh,text_en,keywords_zh,keywords_en,"
        "effective_from,effective_to\n"
        "cash_payment,settlement,现金交款,Paying in cash,不收现金。热线{hotline}。,"
        "No cash. Hotline {hotline}.,现金|交现金,cash|pay cash,2026-01-01,\n",
        encoding="utf-8-sig",
    )
    with db.session() as session:
        report = import_policies(session, read_policy_file(path))
        policy = session.scalar(select(Policy).where(Policy.key == "cash_payment"))
        assert policy is not None
        assert (policy.keywords_zh, policy.effective_to) == (["现金", "交现金"], None)
    assert report.added == ["cash_payment"]


def test_an_invalid_file_lists_every_problem_and_imports_nothing(
    db: Database, tmp_path: Path
) -> None:
    path = tmp_path / "bad.yml"
    path.write_text(
        """
policies:
  - key: Bad Key
    topic: x
    title_zh: 标题
    title_en: Title
    text_zh: "您是{star}星"
    text_en: "You are {star_level}"
    effective_from: "2026-13-01"
  - key: ok_one
    topic: x
    title_zh: 标题
    title_en: Title
    text_zh: 文字
    text_en: ""
    effective_from: 2026-01-01
    effective_to: 2025-01-01
""",
        encoding="utf-8",
    )
    with pytest.raises(PolicyFileError) as raised:
        read_policy_file(path)
    problems = "\n".join(raised.value.problems)
    assert "key must be" in problems
    assert "unknown placeholders ['star']" in problems
    assert "is not a date" in problems
    assert "text_en is missing" in problems
    assert "effective_to is before effective_from" in problems
    with db.session() as session:
        assert session.scalar(select(Policy).where(Policy.key == "ok_one")) is None


def test_a_file_that_is_not_yaml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.yml"
    path.write_text("policies:\n  - key: a\n    effective_from: 2026-13-01\n", encoding="utf-8")
    with pytest.raises(PolicyFileError, match="not readable YAML"):
        read_policy_file(path)


def test_the_demo_policy_file_itself_is_valid() -> None:
    policy_file = read_policy_file(DEMO_DIR / "policies.yml")
    assert len(policy_file.policies) >= 20
    assert policy_file.contacts["hotline"] == "400-880-1234"


def test_the_import_command_imports_and_a_dry_run_writes_nothing(
    db: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from scripts.import_policies import main

    monkeypatch.setenv("DATABASE_URL", str(db.engine.url))
    path = tmp_path / "policies.yml"
    path.write_text(NEW_POLICY_YAML, encoding="utf-8")
    assert main([str(path), "--dry-run"]) == 0
    assert "1 added" in capsys.readouterr().out
    with db.session() as session:
        assert session.scalar(select(Policy).where(Policy.key == "night_delivery_trial")) is None
    assert main([str(path)]) == 0
    with db.session() as session:
        assert session.scalar(select(Policy).where(Policy.key == "night_delivery_trial"))
    bad = tmp_path / "bad.csv"
    bad.write_text("key,topic\nx,y\n", encoding="utf-8")
    assert main([str(bad)]) == 1
    assert "missing columns" in capsys.readouterr().err
