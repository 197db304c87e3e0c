"""``python -m bot``: run the Telegram bot with settings from the environment."""

import sys

from bot.app import run
from retail.logs import configure_logging
from retail.settings import Settings, SettingsError


def main() -> None:
    """Configure logging and serve; a setting that cannot work stops the bot with one line."""
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"bot not started: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    configure_logging(settings.log_level)
    run(settings)


if __name__ == "__main__":
    main()
