"""``make run``: start the whole assistant and say how to talk to it.

Without TELEGRAM_BOT_TOKEN the bot serves the local Bot API stand-in, and you chat as a demo
account in the browser (http://127.0.0.1:8081/chat) or the terminal (``make chat``).
"""

from __future__ import annotations

from pathlib import Path

from retail.settings import Settings
from scripts.stack import ROOT, Ports, Stack


def main() -> None:
    settings = Settings.from_env()
    ports = Ports(http=settings.http_port, standin=settings.standin_port)
    stack = Stack(
        env={}, log_dir=ROOT / "var" / "logs", ports=ports, with_standin=settings.uses_standin
    )

    def announce(seconds: float) -> None:
        print(f"\nready in {seconds:.0f} s. Logs: {Path('var/logs')}/*.log")
        if settings.uses_standin:
            print(
                "No TELEGRAM_BOT_TOKEN: the bot is serving the local Bot API stand-in.\n"
                f"  Chat in the browser:  {stack.standin_url}/chat  (pick a demo user id)\n"
                "  Chat in the terminal: make chat USER=10001   (in another terminal)\n"
                "  Demo users: 10001 张记烟酒 (retailer), 10002 李姐便利店 (retailer),\n"
                "              20001 王经理 (manager); 99999 is not bound.\n"
                "  Try: 芙蓉王硬多少钱一条 / how much is Liqun"
            )
        else:
            print("Serving Telegram with TELEGRAM_BOT_TOKEN; message your bot there.")
        print(f"  Rasa: {stack.rasa_url}   health: http://127.0.0.1:{ports.http}/healthz")

    stack.serve(announce)


if __name__ == "__main__":
    main()
