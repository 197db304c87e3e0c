"""``python -m standin``: serve the Bot API stand-in until interrupted.

    python -m standin --host 127.0.0.1 --port 8081

Prints one line when it is ready; logs (JSON on stderr) stay quiet below ``--log-level``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from aiohttp import web

from retail.logs import configure_logging
from standin.limits import FloodLimits
from standin.server import create_app


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line: where to listen and which flood limits to apply."""
    parser = argparse.ArgumentParser(
        prog="python -m standin",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    defaults = FloodLimits()
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8081, help="port to listen on")
    parser.add_argument(
        "--overall-per-second",
        type=float,
        default=defaults.overall_per_second,
        help="send-like calls allowed per second across all chats (Telegram: 30)",
    )
    parser.add_argument(
        "--chat-per-second",
        type=float,
        default=defaults.chat_per_second,
        help="send-like calls allowed per second in one chat (Telegram: 1)",
    )
    parser.add_argument(
        "--chat-burst",
        type=int,
        default=defaults.chat_burst,
        help="messages one chat may get at once before the per-chat rate applies",
    )
    parser.add_argument(
        "--window",
        type=float,
        default=defaults.window_seconds,
        help="length in seconds of the sliding window of the overall limit",
    )
    parser.add_argument(
        "--grace",
        type=float,
        default=defaults.grace_seconds,
        help="seconds each window is shortened by to absorb network jitter",
    )
    parser.add_argument("--no-limits", action="store_true", help="never answer 429")
    parser.add_argument(
        "--first-update-id",
        type=int,
        default=None,
        help="first update id (default: grows with the clock, so restarts never reuse ids)",
    )
    parser.add_argument("--log-level", default="WARNING", help="DEBUG logs every Bot API call")
    return parser.parse_args(argv)


def limits_from(args: argparse.Namespace) -> FloodLimits:
    """FloodLimits from the parsed command line."""
    return FloodLimits(
        enabled=not args.no_limits,
        overall_per_second=args.overall_per_second,
        chat_per_second=args.chat_per_second,
        chat_burst=args.chat_burst,
        window_seconds=args.window,
        grace_seconds=args.grace,
    )


async def serve(args: argparse.Namespace) -> None:
    """Run the server until SIGINT or SIGTERM."""
    app = create_app(limits=limits_from(args), first_update_id=args.first_update_id)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    try:
        await web.TCPSite(runner, args.host, args.port).start()
        url = f"http://{args.host}:{args.port}"
        print(f"Bot API stand-in ready at {url} (web chat: {url}/chat)", flush=True)
        await stop.wait()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    """Parse the command line, configure logging and serve."""
    args = parse_args(argv)
    configure_logging(args.log_level)
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
