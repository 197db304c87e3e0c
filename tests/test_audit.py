"""scripts/audit.py: pip-audit over the lock files, and what it does with no vulnerability
service."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from scripts import audit


def test_no_service_is_said_and_fails_only_when_the_audit_is_required(
    capsys: pytest.CaptureFixture[str],
) -> None:
    ran: list[list[str]] = []

    def run(command: list[str]) -> int:
        ran.append(command)
        return 0

    assert audit.main({}, probe=lambda service: False, run=run) == 0
    assert "NOT AUDITED" in capsys.readouterr().err
    assert audit.main({"AUDIT_REQUIRED": "1"}, probe=lambda service: False, run=run) == 1
    assert ran == []


def test_every_lock_is_audited_strictly_and_a_finding_fails() -> None:
    ran: list[list[str]] = []

    def run(command: list[str]) -> int:
        ran.append(command)
        return 1 if command[command.index("-r") + 1].endswith("rasa.txt") else 0

    assert audit.main({"AUDIT_SERVICE": "osv"}, probe=lambda service: True, run=run) == 1
    assert [Path(c[c.index("-r") + 1]).name for c in ran] == ["app.txt", "dev.txt", "rasa.txt"]
    for command in ran:
        assert {"--strict", "--require-hashes", "--disable-pip"} <= set(command)
        assert command[command.index("-s") + 1] == "osv"


def test_an_unknown_service_is_refused() -> None:
    assert audit.main({"AUDIT_SERVICE": "nvd"}, probe=lambda service: True) == 2


def test_accepted_findings_are_read_with_their_reasons(tmp_path: Path) -> None:
    path = tmp_path / "ignore.txt"
    path.write_text("# header\nGHSA-xxxx-yyyy  # not reachable: loopback only\n\nPYSEC-1 why\n")
    assert audit.ignored_ids(path) == ["GHSA-xxxx-yyyy", "PYSEC-1"]
    command = audit.audit_command(Path("app.txt"), "pypi", audit.ignored_ids(path))
    assert command[-4:] == ["--ignore-vuln", "GHSA-xxxx-yyyy", "--ignore-vuln", "PYSEC-1"]


def test_pip_audit_fails_strictly_on_a_release_it_could_not_audit(tmp_path: Path) -> None:
    # The real pip-audit: a release no service can answer for (it is not on any index) must fail
    # the audit under --strict, not pass it with a skip.
    lock = tmp_path / "lock.txt"
    lock.write_text("no-such-package-retail-assistant==0.0.1 --hash=sha256:" + "0" * 64 + "\n")
    command = audit.audit_command(lock, "pypi", [])
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "no-such-package-retail-assistant" in result.stdout + result.stderr
