"""``make run-prod-local``: the production shape of docker-compose.yml, natively, no Docker.

PostgreSQL on 127.0.0.1:5432 holds the data (database ``retail_prod_local``, migrated and seeded
with the demo) and Rasa's tracker store (``rasa_tracker_prod_local``); both are kept between
runs. A private Redis with a fresh password is Rasa's lock store; two action servers behind
HAProxy, two Rasa servers on deploy/endpoints.production.yml, and the bot in webhook mode
behind the Bot API stand-in. Every port is a free one on 127.0.0.1; secrets are made per run.
``REPLICAS=1`` (environment) runs one of each instead.
"""

from __future__ import annotations

import os
import sys

from scripts.stack import ROOT, ProdStack

DATA_DB = "retail_prod_local"
TRACKER_DB = "rasa_tracker_prod_local"


def describe(stack: ProdStack) -> str:
    """What runs where, for the person who started it."""
    ports = stack.prod_ports
    lines = [
        f"  data:      {stack.database_url}",
        f"  trackers:  {stack.tracker_database_url} (Rasa's SQL tracker store)",
        f"  locks:     redis://127.0.0.1:{ports.redis} (private, password per run)",
        *(f"  rasa-{i}:    {url}" for i, url in enumerate(stack.rasa_urls, start=1)),
        *(f"  actions-{i}: http://127.0.0.1:{p}" for i, p in enumerate(ports.actions, start=1)),
        f"  HAProxy:   {stack.actions_proxy_url} -> the action servers "
        f"(stats: echo 'show stat' | socat - {stack.stats_socket})",
        f"  bot:       webhook {stack.webhook_url}, health http://127.0.0.1:{stack.ports.http}/healthz",
        f"  stand-in:  {stack.standin_url}/chat (chat in the browser; demo users 10001, 10002)",
        f"  logs:      {stack.log_dir}/*.log",
    ]
    return "\n".join(lines)


def main() -> None:
    given = os.environ.get("REPLICAS", "2").strip()
    if not given.isdigit() or int(given) < 1:
        sys.exit(f"REPLICAS must be a whole number of at least 1, not {given!r}")
    replicas = int(given)
    stack = ProdStack(
        env={},
        log_dir=ROOT / "var" / "prod-logs",
        replicas=replicas,
        data_db=DATA_DB,
        tracker_db=TRACKER_DB,
    )

    def announce(seconds: float) -> None:
        print(f"\nproduction shape ready in {seconds:.0f} s:")
        print(describe(stack))
        print(
            "  Chat in the terminal: .venv/bin/python -m standin.chat --user 10001 "
            f"--url {stack.standin_url}"
        )

    stack.serve(announce)


if __name__ == "__main__":
    main()
