"""Speech recognisers behind one small interface: PCM samples in, a :class:`Transcript` out.

Engines are built once, at start-up (:func:`bot.voice.build_transcriber`), and then called from
worker threads; ``transcribe`` blocks for about a fifth of the audio's length on one core.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from bot.voice._audio import PCM

_CJK_GAP = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")


class VoiceConfigError(Exception):
    """The configured engine cannot run (missing package or model); raised at start-up."""


@dataclass(frozen=True)
class Transcript:
    """What an engine heard: the text, which engine, the audio's length and the time it took."""

    text: str
    engine: str
    seconds: float
    elapsed: float = 0.0


class Transcriber(Protocol):
    """Anything that turns mono 16-bit PCM at ``rate`` Hz into text."""

    def transcribe(self, samples: PCM, rate: int) -> Transcript:
        """Recognise ``samples`` (int16, mono); blocking and CPU-bound."""
        ...


class PocketsphinxTranscriber:
    """CMU PocketSphinx with the US English model its wheel ships (about 38 MB).

    Good enough for CI and demos, not for Chinese. Each note gets a fresh decoder (about a
    quarter of a second): a reused one carries its cepstral mean over from the previous note,
    so one manager's voice would shape the next one's transcript, and the same audio would not
    always give the same text.
    """

    engine = "pocketsphinx"

    def __init__(self, *, rate: int = 16_000) -> None:
        try:
            from pocketsphinx import Config, Decoder
        except ImportError as error:
            raise VoiceConfigError(
                "VOICE_ENGINE=pocketsphinx needs the pocketsphinx package (pip install "
                "pocketsphinx)"
            ) from error
        self.rate = rate
        self._new_decoder = lambda: Decoder(Config(samprate=rate, loglevel="FATAL"))
        self._new_decoder()  # fail at start-up, not at the first note, if the model is broken

    def transcribe(self, samples: PCM, rate: int) -> Transcript:
        """Decode the whole utterance at once and return the best hypothesis."""
        _check_rate(rate, self.rate)
        started = time.perf_counter()
        decoder = self._new_decoder()
        decoder.start_utt()
        decoder.process_raw(samples.astype(np.int16).tobytes(), full_utt=True)
        decoder.end_utt()
        hypothesis = decoder.hyp()
        text = hypothesis.hypstr if hypothesis is not None else ""
        return Transcript(
            text=text.strip(),
            engine=self.engine,
            seconds=len(samples) / rate,
            elapsed=time.perf_counter() - started,
        )


class VoskTranscriber:
    """Vosk (Kaldi) with a model folder from the settings: the production engine for Chinese.

    ``vosk`` is imported here, not at module import, so installs without it still start; the
    model is loaded once and shared, each call gets its own recogniser (cheap, thread-safe).
    Chinese models answer with spaces between words (今天 去 了); those are removed.
    """

    engine = "vosk"

    def __init__(self, model_path: str, *, rate: int = 16_000) -> None:
        try:
            import vosk
        except ImportError as error:
            raise VoiceConfigError(
                "VOICE_ENGINE=vosk needs the vosk package (pip install vosk==0.3.45)"
            ) from error
        folder = Path(model_path) if model_path else None
        if folder is None or not folder.is_dir():
            raise VoiceConfigError(
                f"VOICE_ENGINE=vosk needs VOICE_MODEL_PATH to name an unpacked vosk model "
                f"folder; got {model_path!r}"
            )
        vosk.SetLogLevel(-1)
        try:
            self._model: Any = vosk.Model(str(folder))
        except Exception as error:  # vosk raises a bare Exception for a bad model folder
            raise VoiceConfigError(f"vosk could not load the model in {folder}: {error}") from error
        self._vosk = vosk
        self.rate = rate

    def transcribe(self, samples: PCM, rate: int) -> Transcript:
        """Feed the samples in four-second chunks and return the final result."""
        _check_rate(rate, self.rate)
        started = time.perf_counter()
        recogniser = self._vosk.KaldiRecognizer(self._model, rate)
        raw = samples.astype(np.int16).tobytes()
        step = rate * 2 * 4
        for offset in range(0, len(raw), step):
            recogniser.AcceptWaveform(raw[offset : offset + step])
        text = str(json.loads(recogniser.FinalResult()).get("text", ""))
        return Transcript(
            text=_CJK_GAP.sub("", text).strip(),
            engine=self.engine,
            seconds=len(samples) / rate,
            elapsed=time.perf_counter() - started,
        )


def _check_rate(rate: int, expected: int) -> None:
    if rate != expected:
        raise ValueError(f"expected {expected} Hz samples, got {rate} Hz")
