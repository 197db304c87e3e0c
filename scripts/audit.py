"""``make audit`` (part of ``make lint``): known vulnerabilities in the lock files, by pip-audit.

pip-audit reads each lock (app.txt and dev.txt for .venv, rasa.txt for .venv-rasa) without
installing anything and asks a vulnerability service about every pinned release: PyPI's JSON
API (the default: https://pypi.org/pypi/NAME/VERSION/json) or OSV (``AUDIT_SERVICE=osv``).
``--strict`` makes a release the service cannot answer for a failure, not a silent skip.

Some machines reach the package index but no vulnerability service (PyPI's per-release JSON
answers 404 there, though the per-project JSON answers, and api.osv.dev does not resolve): there
an audit cannot be done. This says
so on one line and exits 0, so that ``make lint`` still checks everything else, unless
``AUDIT_REQUIRED=1`` (set it where the audit must run, e.g. a release pipeline), which makes it
exit 1. Accepted findings are listed, with the reason, in requirements/audit-ignore.txt.
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCKS = ("app.txt", "dev.txt", "rasa.txt")
IGNORED = ROOT / "requirements" / "audit-ignore.txt"
PROBES = {
    "pypi": "https://pypi.org/pypi/pip/24.0/json",
    "osv": "https://api.osv.dev/v1/query",
}
"""A request per service (one pip release) that answers only where pip-audit's requests would."""


def reachable(service: str, timeout: float = 10.0) -> bool:
    """Whether the vulnerability service answers from this machine."""
    url = PROBES[service]
    data = b'{"package": {"name": "pip", "ecosystem": "PyPI"}}' if service == "osv" else None
    try:
        with urllib.request.urlopen(url, data=data, timeout=timeout) as response:
            return bool(response.status < 400)
    except urllib.error.HTTPError as error:
        return error.code != 404
    except (urllib.error.URLError, OSError):
        return False


def ignored_ids(path: Path = IGNORED) -> list[str]:
    """Vulnerability ids accepted in audit-ignore.txt (one per line, then its reason)."""
    if not path.exists():
        return []
    lines = (
        line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines()
    )
    return [line.split()[0] for line in lines if line]


def audit_command(lock: Path, service: str, ignore: list[str]) -> list[str]:
    """pip-audit over one lock file, hash-checked, failing on anything it could not audit."""
    command = [sys.executable, "-m", "pip_audit", "--strict", "--progress-spinner", "off"]
    command += ["--disable-pip", "--require-hashes", "-r", str(lock), "-s", service]
    for vulnerability in ignore:
        command += ["--ignore-vuln", vulnerability]
    return command


def main(
    environ: dict[str, str] | None = None,
    probe: Callable[[str], bool] = reachable,
    run: Callable[[list[str]], int] = lambda command: subprocess.call(command),
) -> int:
    """Audit every lock; 0 when clean (or when no service answers and none is required)."""
    environ = dict(os.environ if environ is None else environ)
    service = environ.get("AUDIT_SERVICE", "pypi")
    if service not in PROBES:
        print(f"AUDIT_SERVICE must be one of {', '.join(PROBES)}, not {service!r}", file=sys.stderr)
        return 2
    if not probe(service):
        print(
            f"audit: NOT AUDITED: the {service} vulnerability service ({PROBES[service]}) does not"
            " answer from this machine",
            file=sys.stderr,
        )
        return 1 if environ.get("AUDIT_REQUIRED") == "1" else 0
    failed = []
    for name in LOCKS:
        print(f"audit: requirements/{name} ({service})", flush=True)
        if run(audit_command(ROOT / "requirements" / name, service, ignored_ids())) != 0:
            failed.append(name)
    if failed:
        print(f"audit: vulnerabilities or unaudited releases in {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
