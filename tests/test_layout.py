"""The layout of ARCHITECTURE.md and README, checked: who may import whom, and no circle."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
AREAS = frozenset({"catalog", "orders", "settlement", "reminders", "visits", "policies"})


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports (absolute names, at any depth of the file)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def _modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("folder", ["retail", "lang"])
def test_the_domain_and_the_reader_import_no_telegram_or_rasa(folder: str) -> None:
    forbidden = ("telegram", "rasa", "rasa_sdk", "aiohttp", "actions", "bot", "nlu", "standin")
    offenders = sorted(
        f"{path.relative_to(ROOT)}: {name}"
        for path in _modules(folder)
        for name in _imports(path)
        if name.split(".")[0] in forbidden
    )
    assert offenders == []


def test_trust_imports_only_the_standard_library() -> None:
    # The Rasa environment (nlu/channel.py) and the app environment (bot/, actions/) both sign
    # or check with it, so it may depend on nothing either might lack.
    offenders = sorted(
        f"{path.relative_to(ROOT)}: {name}"
        for path in _modules("trust")
        for name in _imports(path)
        if name.split(".")[0] not in sys.stdlib_module_names | {"__future__", "trust"}
    )
    assert (offenders, bool(_modules("trust"))) == ([], True)


def test_lang_imports_neither_sqlalchemy_nor_retail() -> None:
    offenders = sorted(
        f"{path.relative_to(ROOT)}: {name}"
        for path in _modules("lang")
        for name in _imports(path)
        if name.split(".")[0] in ("sqlalchemy", "retail")
    )
    assert offenders == []


def test_retail_uses_lang_only_to_match_names() -> None:
    uses = sorted(
        {
            name.rsplit(".", 1)[0] if name.count(".") > 1 else name
            for path in _modules("retail")
            for name in _imports(path)
            if name.startswith("lang.")
        }
    )
    assert uses == ["lang.products", "lang.questions"]


def _area_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {area: set() for area in AREAS}
    for area in AREAS:
        for path in _modules(f"retail/{area}"):
            for name in _imports(path):
                parts = name.split(".")
                if parts[0] == "retail" and len(parts) > 1 and parts[1] in AREAS - {area}:
                    graph[area].add(parts[1])
    return graph


def test_business_areas_import_each_other_without_a_circle() -> None:
    graph = _area_graph()
    circles: list[str] = []

    def visit(area: str, path: tuple[str, ...]) -> None:
        for other in graph[area]:
            if other in path:
                circles.append(" -> ".join((*path[path.index(other) :], other)))
            else:
                visit(other, (*path, other))

    for area in AREAS:
        visit(area, (area,))
    assert circles == []


def test_the_standin_is_not_part_of_the_bot_or_the_production_image() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile.app").read_text()
    assert (
        (ROOT / "bot" / "standin").exists(),
        "standin" in dockerfile,
        (ROOT / "standin" / "__init__.py").exists(),
    ) == (False, False, True)


def _is_rasa_payload(text: str) -> bool:
    """A slash and an intent-like word, maybe with entities: ``/affirm``, ``/visit_confirm{..}``."""
    if not text.startswith("/"):
        return False
    word = text[1:].split("{", 1)[0]
    return word[:1].isalpha() and all(c in "abcdefghijklmnopqrstuvwxyz0123456789_" for c in word)


def _rasa_payloads(path: Path) -> list[str]:
    """String constants in ``path`` (f-string pieces included) that look like a Rasa payload."""
    return [
        node.value
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and _is_rasa_payload(node.value)
    ]


def test_retail_holds_no_rasa_payload() -> None:
    offenders = sorted(
        f"{path.relative_to(ROOT)}: {value}"
        for path in _modules("retail")
        if "migrations" not in path.parts
        for value in _rasa_payloads(path)
    )
    assert offenders == []


def test_retail_reads_no_user_text_with_regexes() -> None:
    # Only machine and staff inputs may be checked with patterns here: bank feed fields, policy
    # files and the placeholders in the company's own policy texts. User text is read by lang/.
    allowed = {
        "retail/settlement/feeds.py",
        "retail/settlement/deductions.py",
        "retail/policies/importing.py",
        "retail/policies/placeholders.py",
    }
    users = sorted(
        str(path.relative_to(ROOT))
        for path in _modules("retail")
        if "migrations" not in path.parts and "re" in _imports(path)
    )
    assert [path for path in users if path not in allowed] == []
