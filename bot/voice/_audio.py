"""Decoding: a Telegram voice note (OGG/Opus) or audio file to 16 kHz mono 16-bit PCM.

libsndfile (bundled in the ``soundfile`` wheel) reads Ogg/Opus, Ogg/Vorbis, WAV, FLAC and MP3;
the samples are mixed down to mono and resampled with a polyphase filter, which is what every
recogniser here expects.

The length is not taken from the file's header or from Telegram's declared duration: a small
file can claim one second and decode to hours. Decoding reads one-second blocks and stops as soon
as the audio passes ``max_seconds``, so no more than that is ever held in memory.
"""

from __future__ import annotations

import io
from math import gcd

import numpy as np
import soundfile
from numpy.typing import NDArray
from scipy.signal import resample_poly

SAMPLE_RATE = 16_000
MAX_SOURCE_RATE = 48_000
MAX_CHANNELS = 2
PCM = NDArray[np.int16]


class AudioUnreadable(Exception):
    """The bytes are not audio libsndfile can read (an unknown format or a damaged file)."""


class AudioTooLong(Exception):
    """The audio runs past the allowed length; decoding stopped there."""


def decode_pcm16(data: bytes, *, rate: int = SAMPLE_RATE, max_seconds: float | None = None) -> PCM:
    """``data`` (any format libsndfile reads) as mono int16 samples at ``rate`` Hz.

    Raises :class:`AudioUnreadable` for anything that is not readable audio (or claims more than
    48 kHz or two channels, which no voice note has), and :class:`AudioTooLong` as soon as more
    than ``max_seconds`` of audio has been decoded.
    """
    try:
        mono, source_rate = _read_mono(data, max_seconds)
    except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError) as error:
        raise AudioUnreadable(str(error)) from error
    if source_rate != rate:
        common = gcd(int(source_rate), rate)
        mono = resample_poly(mono, rate // common, int(source_rate) // common)
    pcm: PCM = (np.clip(mono, -1.0, 1.0) * 32767).astype(np.int16)
    return pcm


def _read_mono(data: bytes, max_seconds: float | None) -> tuple[NDArray[np.float32], int]:
    """The samples mixed down to mono, read block by block up to ``max_seconds``."""
    with soundfile.SoundFile(io.BytesIO(data)) as audio:
        source_rate, channels = int(audio.samplerate), int(audio.channels)
        if not 0 < source_rate <= MAX_SOURCE_RATE or not 0 < channels <= MAX_CHANNELS:
            raise ValueError(f"not a voice recording: {source_rate} Hz, {channels} channels")
        limit = None if max_seconds is None else int(max_seconds * source_rate)
        blocks: list[NDArray[np.float32]] = []
        frames = 0
        while True:
            # One frame past the limit is enough to know the audio is too long.
            size = source_rate if limit is None else min(source_rate, limit + 1 - frames)
            block = audio.read(size, dtype="float32", always_2d=True)
            if not len(block):
                break
            frames += len(block)
            if limit is not None and frames > limit:
                raise AudioTooLong(f"more than {max_seconds:g} s of audio")
            blocks.append(block.mean(axis=1, dtype=np.float32))
    if not blocks:
        raise ValueError("no audio frames")
    return np.concatenate(blocks), source_rate
