"""The staff import of policy files: YAML or CSV, validated as a whole, added or updated by key.

A file with any problem changes nothing, and every problem is listed (:class:`PolicyFileError`).
Answers use the new texts at once: matching reads the table per question, so nothing is
retrained. The patterns below read the company's import files, never what a user typed.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from retail.models import Contact, Policy
from retail.policies.placeholders import PLACEHOLDERS, unknown_placeholders

_KEY = re.compile(r"^[a-z0-9_]{1,64}$")
POLICY_FIELDS = (
    "key",
    "topic",
    "title_zh",
    "title_en",
    "text_zh",
    "text_en",
    "keywords_zh",
    "keywords_en",
    "effective_from",
    "effective_to",
)
"""The columns of a policy CSV file (keywords separated by ``|``), and the keys of a YAML one."""


class PolicyFileError(ValueError):
    """A policy file that cannot be imported; ``problems`` lists every one found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class PolicyRecord:
    """One policy as read from an import file, validated."""

    key: str
    topic: str
    title_zh: str
    title_en: str
    text_zh: str
    text_en: str
    keywords_zh: tuple[str, ...]
    keywords_en: tuple[str, ...]
    effective_from: date
    effective_to: date | None


@dataclass(frozen=True)
class PolicyFile:
    """What an import file holds: policies and (YAML only) company phone lines."""

    policies: list[PolicyRecord]
    contacts: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportReport:
    """Which policy keys an import added, changed or found already up to date."""

    added: list[str]
    updated: list[str]
    unchanged: list[str]
    contacts: int


def _keywords(value: object) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    items = value if isinstance(value, list) else re.split(r"[|;]", str(value))
    return tuple(dict.fromkeys(str(item).strip() for item in items if str(item).strip()))


def _date(value: object, name: str, problems: list[str], where: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        problems.append(f"{where}: {name} {value!r} is not a date (YYYY-MM-DD)")
        return None


def parse_policy_rows(rows: Iterable[dict[str, object]]) -> list[PolicyRecord]:
    """Validate raw rows (from YAML or CSV) into records; PolicyFileError lists every problem.

    Checked: a key of lower-case letters, digits and underscores, unique in the file; topic,
    titles and both texts present and within the column sizes; only known placeholders
    (:data:`PLACEHOLDERS`) in the texts; dates as YYYY-MM-DD, the end not before the start.
    """
    problems: list[str] = []
    records: list[PolicyRecord] = []
    seen: set[str] = set()
    for number, row in enumerate(rows, start=1):
        key = str(row.get("key") or "").strip()
        where = f"policy {number} ({key or 'no key'})"
        if not _KEY.match(key):
            problems.append(f"{where}: key must be 1-64 of a-z, 0-9 and _")
        elif key in seen:
            problems.append(f"{where}: key appears twice")
        seen.add(key)
        values = {name: str(row.get(name) or "").strip() for name in POLICY_FIELDS[1:6]}
        for name, limit in (("topic", 32), ("title_zh", 128), ("title_en", 128)):
            if not values[name]:
                problems.append(f"{where}: {name} is missing")
            elif len(values[name]) > limit:
                problems.append(f"{where}: {name} is longer than {limit} characters")
        for name in ("text_zh", "text_en"):
            if not values[name]:
                problems.append(f"{where}: {name} is missing")
            unknown = unknown_placeholders(values[name])
            if unknown:
                known = ", ".join(PLACEHOLDERS)
                problems.append(f"{where}: {name} uses unknown placeholders {unknown} ({known})")
        start = _date(row.get("effective_from"), "effective_from", problems, where)
        end = _date(row.get("effective_to"), "effective_to", problems, where)
        if row.get("effective_from") in (None, ""):
            problems.append(f"{where}: effective_from is missing")
        if start and end and end < start:
            problems.append(f"{where}: effective_to is before effective_from")
        if start is None:
            continue
        records.append(
            PolicyRecord(
                key=key,
                topic=values["topic"],
                title_zh=values["title_zh"],
                title_en=values["title_en"],
                text_zh=values["text_zh"],
                text_en=values["text_en"],
                keywords_zh=_keywords(row.get("keywords_zh")),
                keywords_en=_keywords(row.get("keywords_en")),
                effective_from=start,
                effective_to=end,
            )
        )
    if problems:
        raise PolicyFileError(problems)
    return records


def read_policy_file(path: Path) -> PolicyFile:
    """Read and validate a policy file: ``.yml``/``.yaml`` in the layout of
    ``data/demo/policies.yml`` (``policies:`` and optional ``contacts:``), or ``.csv`` with the
    :data:`POLICY_FIELDS` columns (UTF-8, with or without BOM). PolicyFileError if invalid."""
    suffix = path.suffix.lower()
    if suffix in {".yml", ".yaml"}:
        try:
            with path.open(encoding="utf-8") as handle:
                data = yaml.safe_load(handle) or {}
        except (yaml.YAMLError, ValueError) as error:
            raise PolicyFileError([f"{path.name}: not readable YAML: {error}"]) from error
        if not isinstance(data, dict) or not isinstance(data.get("policies"), list):
            raise PolicyFileError([f"{path.name}: expected a 'policies:' list"])
        rows = [row if isinstance(row, dict) else {} for row in data["policies"]]
        contacts = data.get("contacts") or {}
        if not isinstance(contacts, dict):
            raise PolicyFileError([f"{path.name}: 'contacts:' must map names to numbers"])
        return PolicyFile(parse_policy_rows(rows), {str(k): str(v) for k, v in contacts.items()})
    if suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [name for name in POLICY_FIELDS if name not in (reader.fieldnames or [])]
            if missing:
                raise PolicyFileError([f"{path.name}: missing columns {missing}"])
            return PolicyFile(parse_policy_rows(list(reader)))
    raise PolicyFileError([f"{path.name}: use a .yml, .yaml or .csv file"])


def import_policies(session: Session, policy_file: PolicyFile) -> ImportReport:
    """Add or update policies by key (and contacts by key) in one transaction.

    Policies not in the file are left alone; retire one by importing it with an
    ``effective_to``. Answers use the new texts at once: matching reads the table per question,
    so nothing is retrained.
    """
    added: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    for record in policy_file.policies:
        values = {
            "topic": record.topic,
            "title_zh": record.title_zh,
            "title_en": record.title_en,
            "text_zh": record.text_zh,
            "text_en": record.text_en,
            "keywords_zh": list(record.keywords_zh),
            "keywords_en": list(record.keywords_en),
            "effective_from": record.effective_from,
            "effective_to": record.effective_to,
        }
        policy = session.scalar(select(Policy).where(Policy.key == record.key))
        if policy is None:
            session.add(Policy(key=record.key, **values))
            added.append(record.key)
            continue
        if all(getattr(policy, name) == value for name, value in values.items()):
            unchanged.append(record.key)
            continue
        for name, value in values.items():
            setattr(policy, name, value)
        updated.append(record.key)
    for key, value in policy_file.contacts.items():
        contact = session.get(Contact, key)
        if contact is None:
            session.add(Contact(key=key, value=value))
        else:
            contact.value = value
    session.flush()
    return ImportReport(added, updated, unchanged, len(policy_file.contacts))
