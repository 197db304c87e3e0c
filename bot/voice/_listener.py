"""One voice note, from Telegram's file to a transcript: download, keep, decode, recognise.

Audio within the size cap is always kept under ``VOICE_DIR/<chat id>/<message id>.<ext>``
before anything else can fail, so a note that was not understood (or arrived while no engine
was configured) can be listened to later. Size is checked three times, trusting neither
Telegram's declared figures nor the file's own header: the declared ``file_size`` before
downloading (``VOICE_MAX_BYTES``), the bytes as they arrive (the download stops past the cap;
nothing is kept), and the decoded frames (decoding stops at ``VOICE_MAX_SECONDS``). Recognition
runs in its own small thread pool: it is CPU-bound for seconds, and must neither block the
event loop (other chats) nor take the threads the database calls use.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from telegram import Bot
from telegram.error import TelegramError

from bot.voice._audio import SAMPLE_RATE, AudioTooLong, AudioUnreadable, decode_pcm16
from bot.voice._engines import (
    PocketsphinxTranscriber,
    SherpaOnnxTranscriber,
    Transcriber,
    Transcript,
    VoiceConfigError,
    VoskTranscriber,
)
from retail.settings import Settings

log = logging.getLogger(__name__)
VOICE = "voice"
DOWNLOAD_TIMEOUT = 30.0
ENGINES = ("none", "pocketsphinx", "vosk", "sherpa-onnx")
SUFFIXES = {
    "audio/ogg": ".ogg",
    "audio/opus": ".ogg",
    "audio/mpeg": ".mp3",
    "audio/mp3": ".mp3",
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
    "audio/flac": ".flac",
    "audio/mp4": ".m4a",
    "audio/x-m4a": ".m4a",
}


def build_transcriber(settings: Settings) -> Transcriber | None:
    """The engine ``VOICE_ENGINE`` names, loaded now; ``None`` for ``none``.

    Raises :class:`VoiceConfigError` for an unknown engine, a missing package or model, so a
    misconfigured bot stops at start-up instead of failing on a user's first voice note.
    """
    engine = settings.voice_engine.strip().lower() or "none"
    if engine == "none":
        return None
    if engine == "pocketsphinx":
        return PocketsphinxTranscriber(rate=SAMPLE_RATE)
    if engine == "vosk":
        return VoskTranscriber(settings.voice_model_path, rate=SAMPLE_RATE)
    if engine == "sherpa-onnx":
        return SherpaOnnxTranscriber(settings.voice_model_path, rate=SAMPLE_RATE)
    raise VoiceConfigError(f"VOICE_ENGINE must be one of {', '.join(ENGINES)}; got {engine!r}")


def suffix_for(mime_type: str | None, *, voice: bool) -> str:
    """The file extension to keep audio under: voice notes are always OGG/Opus."""
    if voice:
        return ".ogg"
    return SUFFIXES.get((mime_type or "").lower(), ".audio")


class _TooBig(Exception):
    """The note is larger than ``VOICE_MAX_BYTES`` (declared, or as it was downloaded)."""

    def __init__(self, size: int) -> None:
        super().__init__(f"{size} bytes")
        self.size = size


@dataclass(frozen=True)
class Heard:
    """The outcome for one note: a transcript, or ``problem``, the message key that says why not.

    ``kept`` is where the audio was saved (``None`` only if it could not be downloaded or written).
    """

    kept: Path | None
    transcript: Transcript | None = None
    problem: str | None = None


class Listener:
    """Keeps and transcribes voice notes for the bot; built in ``post_init``, closed at shutdown."""

    def __init__(
        self,
        transcriber: Transcriber | None,
        *,
        folder: Path,
        max_seconds: float,
        max_bytes: int = 2_000_000,
        workers: int = 1,
    ) -> None:
        self.transcriber = transcriber
        self.folder = folder
        self.max_seconds = max_seconds
        self.max_bytes = max_bytes
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="voice")

    @classmethod
    def from_settings(cls, settings: Settings) -> Listener:
        """A listener with the configured engine (blocking: loads the model)."""
        return cls(
            build_transcriber(settings),
            folder=Path(settings.voice_dir),
            max_seconds=settings.voice_max_seconds,
            max_bytes=settings.voice_max_bytes,
            workers=settings.voice_workers,
        )

    async def hear(
        self,
        bot: Bot,
        *,
        chat_id: int,
        message_id: int,
        file_id: str,
        seconds: float,
        suffix: str = ".ogg",
        file_size: int | None = None,
    ) -> Heard:
        """Download the note through the Bot API, keep it, and transcribe it if we can.

        ``seconds`` and ``file_size`` are what Telegram declared: a note declared too big is
        refused before downloading, but neither figure is trusted beyond that.
        """
        context = {"chat_id": chat_id, "message_id": message_id}
        if file_size is not None and file_size > self.max_bytes:
            log.warning("voice too big", extra={**context, "declared_bytes": file_size})
            return Heard(kept=None, problem="voice.too_big")
        try:
            data = await self._download(bot, file_id)
        except _TooBig as error:
            log.warning("voice too big", extra={**context, "bytes": error.size})
            return Heard(kept=None, problem="voice.too_big")
        except (TelegramError, httpx.HTTPError, RuntimeError) as error:
            log.warning("voice download failed", extra={**context, "error": str(error)})
            return Heard(kept=None, problem="voice.download_failed")
        kept = await self._keep(data, chat_id=chat_id, message_id=message_id, suffix=suffix)
        if self.transcriber is None:
            return Heard(kept=kept, problem="voice.no_engine")
        if seconds > self.max_seconds:
            return Heard(kept=kept, problem="voice.too_long")
        loop = asyncio.get_running_loop()
        try:
            transcript = await loop.run_in_executor(self._pool, self._transcribe, data)
        except AudioTooLong:
            log.warning("voice longer than declared", extra={**context, "declared": seconds})
            return Heard(kept=kept, problem="voice.too_long")
        except AudioUnreadable as error:
            log.warning("voice not decodable", extra={**context, "error": str(error)})
            return Heard(kept=kept, problem="voice.not_understood")
        except Exception:  # a native engine can fail in many ways; the user gets a polite reply
            log.exception("voice recognition failed", extra=context)
            return Heard(kept=kept, problem="voice.not_understood")
        log.info(
            "voice transcribed",
            extra={
                **context,
                "engine": transcript.engine,
                "audio_seconds": round(transcript.seconds, 2),
                "elapsed": round(transcript.elapsed, 2),
                "chars": len(transcript.text),
            },
        )
        if not transcript.text:
            return Heard(kept=kept, transcript=transcript, problem="voice.nothing_heard")
        return Heard(kept=kept, transcript=transcript)

    async def _download(self, bot: Bot, file_id: str) -> bytes:
        """The file's bytes, read as a stream that stops past ``max_bytes`` (:class:`_TooBig`):
        the size getFile reports and the response's Content-Length are checked too, but a
        server that understates either still cannot make the bot hold more than the cap."""
        telegram_file = await bot.get_file(file_id)
        if telegram_file.file_size is not None and telegram_file.file_size > self.max_bytes:
            raise _TooBig(telegram_file.file_size)
        if not telegram_file.file_path:
            raise RuntimeError("getFile returned no file_path")
        received = bytearray()
        async with (
            httpx.AsyncClient(timeout=DOWNLOAD_TIMEOUT) as client,
            client.stream("GET", telegram_file.file_path) as response,
        ):
            response.raise_for_status()
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.max_bytes:
                raise _TooBig(int(declared))
            async for chunk in response.aiter_bytes():
                received += chunk
                if len(received) > self.max_bytes:
                    raise _TooBig(len(received))
        return bytes(received)

    def _transcribe(self, data: bytes) -> Transcript:
        assert self.transcriber is not None
        samples = decode_pcm16(data, rate=SAMPLE_RATE, max_seconds=self.max_seconds)
        return self.transcriber.transcribe(samples, SAMPLE_RATE)

    async def _keep(
        self, data: bytes, *, chat_id: int, message_id: int, suffix: str
    ) -> Path | None:
        path = self.folder / str(chat_id) / f"{message_id}{suffix}"

        def write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)

        try:
            await asyncio.to_thread(write)
        except OSError as error:
            log.error("voice not kept", extra={"path": str(path), "error": str(error)})
            return None
        return path

    def close(self) -> None:
        """Stop the recognition threads (after any running recognition finishes)."""
        self._pool.shutdown(wait=True, cancel_futures=True)


def listener(context: Any) -> Listener:
    """The listener of the application a handler runs in."""
    found: Listener = context.application.bot_data[VOICE]
    return found
