"""Decoding: a Telegram voice note (OGG/Opus) or audio file to 16 kHz mono 16-bit PCM.

libsndfile (bundled in the ``soundfile`` wheel) reads Ogg/Opus, Ogg/Vorbis, WAV, FLAC and MP3;
the samples are mixed down to mono and resampled with a polyphase filter, which is what every
recogniser here expects.
"""

from __future__ import annotations

import io
from math import gcd

import numpy as np
import soundfile
from numpy.typing import NDArray
from scipy.signal import resample_poly

SAMPLE_RATE = 16_000
PCM = NDArray[np.int16]


class AudioUnreadable(Exception):
    """The bytes are not audio libsndfile can read (an unknown format or a damaged file)."""


def decode_pcm16(data: bytes, *, rate: int = SAMPLE_RATE) -> PCM:
    """``data`` (any format libsndfile reads) as mono int16 samples at ``rate`` Hz.

    Raises :class:`AudioUnreadable` for anything that is not readable audio.
    """
    try:
        samples, source_rate = soundfile.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError) as error:
        raise AudioUnreadable(str(error)) from error
    mono = samples.mean(axis=1)
    if source_rate != rate:
        common = gcd(int(source_rate), rate)
        mono = resample_poly(mono, rate // common, int(source_rate) // common)
    pcm: PCM = (np.clip(mono, -1.0, 1.0) * 32767).astype(np.int16)
    return pcm
