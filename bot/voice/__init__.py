"""Voice notes: keep the audio, decode OGG/Opus to 16 kHz PCM, transcribe it offline.

The engine is chosen by ``VOICE_ENGINE``: ``none`` (users are asked to type or use their
phone's voice typing; the audio is still kept), ``pocketsphinx`` (the English model its wheel
ships, for CI and demos), ``sherpa-onnx`` (a model folder from ``VOICE_MODEL_PATH``: a Chinese
SenseVoice, Paraformer or zipformer model in production; installed in the image) or ``vosk``
(a vosk model folder from ``VOICE_MODEL_PATH``; not installed, kept for existing setups).
``bot.handlers.on_voice`` shows the transcript and hands it to Rasa as if typed.
"""

from bot.voice._audio import SAMPLE_RATE, AudioTooLong, AudioUnreadable, decode_pcm16
from bot.voice._engines import (
    PocketsphinxTranscriber,
    SherpaModel,
    SherpaOnnxTranscriber,
    Transcriber,
    Transcript,
    VoiceConfigError,
    VoskTranscriber,
    find_sherpa_model,
    onnx_metadata,
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
    "SherpaModel",
    "SherpaOnnxTranscriber",
    "Transcriber",
    "Transcript",
    "VoiceConfigError",
    "VoskTranscriber",
    "build_transcriber",
    "decode_pcm16",
    "find_sherpa_model",
    "listener",
    "onnx_metadata",
    "suffix_for",
]
