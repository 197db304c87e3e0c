"""Voice notes: keep the audio, decode OGG/Opus to 16 kHz PCM, transcribe it offline.

The engine is chosen by ``VOICE_ENGINE``: ``none`` (users are asked to type or use their
phone's voice typing; the audio is still kept), ``pocketsphinx`` (the English model its wheel
ships, for CI and demos) or ``vosk`` (a model folder from ``VOICE_MODEL_PATH``; a Chinese model
in production). ``bot.handlers.on_voice`` shows the transcript and hands it to Rasa as if typed.
"""

from bot.voice._audio import SAMPLE_RATE, AudioTooLong, AudioUnreadable, decode_pcm16
from bot.voice._engines import (
    PocketsphinxTranscriber,
    Transcriber,
    Transcript,
    VoiceConfigError,
    VoskTranscriber,
)
from bot.voice._listener import VOICE, Heard, Listener, build_transcriber, listener, suffix_for

__all__ = [
    "SAMPLE_RATE",
    "VOICE",
    "AudioTooLong",
    "AudioUnreadable",
    "Heard",
    "Listener",
    "PocketsphinxTranscriber",
    "Transcriber",
    "Transcript",
    "VoiceConfigError",
    "VoskTranscriber",
    "build_transcriber",
    "decode_pcm16",
    "listener",
    "suffix_for",
]
