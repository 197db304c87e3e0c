"""Test speech made on the spot: espeak-ng (shipped inside the ``espeakng-loader`` wheel, driven
through ctypes) speaks a sentence, and soundfile encodes it as OGG/Opus at 48 kHz mono, as
Telegram voice notes are. Nothing to install on the machine, no recordings in the repository.
"""

from __future__ import annotations

import ctypes
import io
from functools import cache

import espeakng_loader
import numpy as np
import soundfile
from scipy.signal import resample_poly

AUDIO_OUTPUT_SYNCHRONOUS = 2
ESPEAK_RATE = 1
ESPEAK_CHARS_UTF8 = 1
OPUS_RATE = 48_000
_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


class _Espeak:
    """The espeak-ng library, initialised once per process (its state is global)."""

    def __init__(self) -> None:
        self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
        self.lib.espeak_Initialize.argtypes = [
            ctypes.c_int,
            ctypes.c_int,
            ctypes.c_char_p,
            ctypes.c_int,
        ]
        self.lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self.lib.espeak_Synth.argtypes = [
            ctypes.c_char_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        data = espeakng_loader.get_data_path().encode()
        self.rate = int(self.lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, data, 0))
        if self.rate <= 0:
            raise RuntimeError("espeak-ng did not initialise")
        self.chunks: list[np.ndarray] = []
        self._callback = _CALLBACK(self._collect)  # kept referenced: C holds the pointer
        self.lib.espeak_SetSynthCallback(self._callback)

    def _collect(self, wav: ctypes._Pointer[ctypes.c_short], count: int, _events: int) -> int:
        if wav and count > 0:
            self.chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        return 0

    def speak(self, text: str, *, voice: str, words_per_minute: int) -> tuple[np.ndarray, int]:
        if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise RuntimeError(f"espeak-ng has no voice {voice!r}")
        self.lib.espeak_SetParameter(ESPEAK_RATE, words_per_minute, 0)
        self.chunks = []
        encoded = text.encode()
        status = self.lib.espeak_Synth(
            encoded, len(encoded) + 1, 0, 0, 0, ESPEAK_CHARS_UTF8, None, None
        )
        if status != 0 or not self.chunks:
            raise RuntimeError(f"espeak-ng could not speak {text!r} (status {status})")
        return np.concatenate(self.chunks), self.rate


@cache
def _espeak() -> _Espeak:
    return _Espeak()


def speech_pcm(text: str, *, voice: str = "en-us", words_per_minute: int = 140) -> np.ndarray:
    """``text`` spoken by espeak-ng: int16 mono samples at espeak's own rate (22,050 Hz)."""
    samples, _ = _espeak().speak(text, voice=voice, words_per_minute=words_per_minute)
    return samples


def speech_ogg(text: str, *, voice: str = "en-us", words_per_minute: int = 140) -> bytes:
    """``text`` as a Telegram-like voice note: OGG/Opus, 48 kHz, mono."""
    samples, rate = _espeak().speak(text, voice=voice, words_per_minute=words_per_minute)
    resampled = resample_poly(samples.astype(np.float32) / 32768, OPUS_RATE, rate)
    buffer = io.BytesIO()
    soundfile.write(buffer, resampled, OPUS_RATE, format="OGG", subtype="OPUS")
    return buffer.getvalue()
