"""``python -m bot``: run the Telegram bot with settings from the environment."""

from bot.app import run
from retail.logs import configure_logging
from retail.settings import Settings


def main() -> None:
    """Configure logging and serve."""
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    run(settings)


if __name__ == "__main__":
    main()
