"""``python -m standin.chat``: chat with the bot from a terminal, as one demo user.

    python -m standin.chat --user 10001 --url http://127.0.0.1:8081 --phone +8613800000001

Each line you type goes to the bot as a message from that user (``/start`` and ``/help``
included). The bot's messages print as they arrive, with their buttons numbered:

    /tap N          press button N (inline buttons and reply-keyboard buttons alike)
    /contact        share your own contact (the phone number from --phone)
    /voice FILE [S] send FILE as a voice note of S seconds
    /quit           leave (Ctrl-D too)

It uses only the stand-in's test API, so it works with the bot running in polling or webhook
mode.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from standin.client import SentMessage, StandinClient, StandinError

POLL_SECONDS = 0.3
ANSWER_WAIT_SECONDS = 3.0
HELP = "/tap N · /contact · /voice FILE [SECONDS] · /quit"


@dataclass(frozen=True)
class Button:
    """A button the user can press by number: what pressing it does."""

    label: str
    kind: str
    message_id: int
    value: str


class ButtonBoard:
    """Numbers every button printed so far; numbers stay valid for the whole session."""

    def __init__(self) -> None:
        self.buttons: dict[int, Button] = {}

    def add(self, button: Button) -> int:
        """Give ``button`` the next number."""
        number = len(self.buttons) + 1
        self.buttons[number] = button
        return number


def _buttons_of(entry: SentMessage) -> list[list[Button]]:
    markup = entry.get("reply_markup") or {}
    message_id = int(entry["message_id"])
    rows: list[list[Button]] = []
    for row in markup.get("inline_keyboard", []):
        rows.append([_inline_button(b, message_id) for b in row])
    for row in markup.get("keyboard", []):
        rows.append([_keyboard_button(b, message_id) for b in row])
    return rows


def _inline_button(button: dict[str, Any], message_id: int) -> Button:
    if "callback_data" in button:
        return Button(button["text"], "callback", message_id, button["callback_data"])
    return Button(button["text"], "url", message_id, str(button.get("url", "")))


def _keyboard_button(button: dict[str, Any] | str, message_id: int) -> Button:
    if isinstance(button, str):
        return Button(button, "text", message_id, button)
    kind = "contact" if button.get("request_contact") else "text"
    return Button(button["text"], kind, message_id, button["text"])


def render(entry: SentMessage, board: ButtonBoard) -> list[str]:
    """The lines that show one record entry, numbering its buttons on ``board``."""
    message_id = entry["message_id"]
    method = entry["method"]
    if method == "deleteMessage":
        return [f"bot deleted message #{message_id}"]
    label = "bot" if method.startswith("send") else f"bot (edited #{message_id})"
    attachment = entry.get("attachment")
    text = entry.get("text") or ""
    if attachment:
        name = attachment.get("file_name") or method.removeprefix("send").lower()
        text = f"[{name}, {attachment.get('file_size', 0)} bytes] {text}".rstrip()
    lines = [f"{label}: {text}"]
    for row in _buttons_of(entry):
        cells = []
        for button in row:
            mark = {"contact": " (shares contact)", "url": f" -> {button.value}"}.get(
                button.kind, ""
            )
            cells.append(f"[{board.add(button)}] {button.label}{mark}")
        lines.append("    " + "   ".join(cells))
    return lines


class TerminalChat:
    """One user's side of the conversation, against a running stand-in."""

    def __init__(self, client: StandinClient, *, user_id: int, phone: str | None) -> None:
        self.client = client
        self.user_id = user_id
        self.phone = phone
        self.board = ButtonBoard()
        self._tasks: set[asyncio.Task[None]] = set()

    async def follow(self, since: int) -> None:
        """Print the bot's sends, edits and deletions in this chat as they happen."""
        unreachable = False
        while True:
            try:
                entries = await self.client.sent_messages(self.user_id, since=since)
            except (OSError, StandinError) as error:
                if not unreachable:
                    say(f"! stand-in unreachable ({error}); retrying")
                unreachable = True
            else:
                unreachable = False
                for entry in entries:
                    since = max(since, int(entry["seq"]))
                    for line in render(entry, self.board):
                        say(line)
            await asyncio.sleep(POLL_SECONDS)

    async def handle(self, line: str) -> bool:
        """Act on one typed line; False when the user wants to leave."""
        command, _, rest = line.strip().partition(" ")
        if command in ("/quit", "/exit"):
            return False
        try:
            if command == "/tap":
                await self.press(rest.strip())
            elif command == "/contact":
                await self.client.send_contact(self.user_id, phone_number=self.phone)
            elif command == "/voice":
                await self.send_voice(rest.split())
            elif line.strip():
                await self.client.send_text(self.user_id, line.rstrip("\n"))
        except StandinError as error:
            say(f"! {error.description}")
        return True

    async def press(self, number: str) -> None:
        """Press button ``number`` as printed."""
        button = self.board.buttons.get(int(number)) if number.isdigit() else None
        if button is None:
            say(f"! no button {number or '?'}; {HELP}")
        elif button.kind == "callback":
            tap = await self.client.tap(self.user_id, button.message_id, button.value)
            self._spawn(self.show_answer(tap.callback_query_id))
        elif button.kind == "contact":
            await self.client.send_contact(self.user_id, phone_number=self.phone)
        elif button.kind == "text":
            await self.client.send_text(self.user_id, button.value)
        else:
            say(f"(link) {button.value}")

    async def show_answer(self, callback_query_id: str) -> None:
        """Print the bot's answer to a tap (a toast in Telegram), if it has text."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + ANSWER_WAIT_SECONDS
        while loop.time() < deadline:
            answer = await self.client.callback_answer(callback_query_id)
            if answer is not None:
                if answer.get("text"):
                    say(f"bot (notice): {answer['text']}")
                return
            await asyncio.sleep(POLL_SECONDS)

    async def send_voice(self, words: list[str]) -> None:
        """``/voice FILE [SECONDS]``: a voice note from an audio file."""
        if not words:
            say("! usage: /voice FILE [SECONDS]")
            return
        data = await asyncio.to_thread(Path(words[0]).expanduser().read_bytes)
        duration = int(words[1]) if len(words) > 1 and words[1].isdigit() else 1
        await self.client.send_voice(self.user_id, data, duration=duration)

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def say(line: str) -> None:
    """Write one line to the terminal at once (this tool's output, not logging)."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def start_reader(loop: asyncio.AbstractEventLoop) -> asyncio.Queue[str | None]:
    """Lines from stdin, read on a daemon thread so Ctrl-C and Ctrl-D end the chat promptly.

    On a terminal ``input()`` gives line editing; ``None`` marks the end of input.
    """
    lines: asyncio.Queue[str | None] = asyncio.Queue()
    interactive = sys.stdin.isatty()

    def read() -> None:
        if interactive:
            with contextlib.suppress(ImportError):
                import readline  # noqa: F401  (line editing for input())
        while True:
            try:
                line: str | None = input() if interactive else sys.stdin.readline() or None
            except (EOFError, KeyboardInterrupt):
                line = None
            loop.call_soon_threadsafe(lines.put_nowait, line)
            if line is None:
                return

    threading.Thread(target=read, name="stdin", daemon=True).start()
    return lines


async def chat(args: argparse.Namespace) -> None:
    """Register the user, follow the chat and send what is typed until /quit or end of input."""
    async with StandinClient(args.url) as client:
        await client.add_user(
            args.user, first_name=args.name, phone_number=args.phone, language_code=args.language
        )
        terminal = TerminalChat(client, user_id=args.user, phone=args.phone)
        say(f"chatting as user {args.user} via {args.url}  ({HELP})")
        follower = asyncio.create_task(terminal.follow(await client.last_seq()))
        lines = start_reader(asyncio.get_running_loop())
        try:
            while (line := await lines.get()) is not None and await terminal.handle(line):
                pass
            await asyncio.sleep(args.linger)
        finally:
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follower


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line: who to be and where the stand-in is."""
    parser = argparse.ArgumentParser(
        prog="python -m standin.chat",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--user", type=int, default=10001, help="Telegram user id to chat as")
    parser.add_argument("--url", default="http://127.0.0.1:8081", help="the stand-in's address")
    parser.add_argument("--phone", default=None, help="phone number /contact shares")
    parser.add_argument("--name", default=None, help="first name (kept if already set)")
    parser.add_argument("--language", default=None, help="language_code, e.g. zh or en")
    parser.add_argument(
        "--linger",
        type=float,
        default=2.0,
        help="seconds to keep printing replies after input ends (for piped input)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Run the terminal chat until the user leaves."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(chat(parse_args(argv)))


if __name__ == "__main__":
    main()
