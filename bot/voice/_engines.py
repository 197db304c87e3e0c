"""Speech recognisers behind one small interface: PCM samples in, a :class:`Transcript` out.

Engines are built once, at start-up (:func:`bot.voice.build_transcriber`), and then called from
worker threads; ``transcribe`` blocks for a fraction of the audio's length on one core (about a
fifth for PocketSphinx).
"""

from __future__ import annotations

import io
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

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
        self._decoder_class: Any = Decoder
        self._config_class: Any = Config
        self._new_decoder()  # fail at start-up, not at the first note, if the model is broken

    def _new_decoder(self) -> Any:
        return self._decoder_class(self._config_class(samprate=self.rate, loglevel="FATAL"))

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


SENSE_VOICE = "sense-voice"
PARAFORMER = "paraformer"
TRANSDUCER = "transducer"
STREAMING_TRANSDUCER = "streaming-transducer"
EXPECTED_FILES = (
    "tokens.txt with model.int8.onnx or model.onnx (SenseVoice, Paraformer), or tokens.txt with "
    "encoder*.onnx, decoder*.onnx and joiner*.onnx (zipformer transducer, streaming or not)"
)


@dataclass(frozen=True)
class SherpaModel:
    """A sherpa-onnx model folder as found on disk: what kind of model, and the files to load.

    ``files`` maps the recogniser's argument names (``model``; or ``encoder``, ``decoder``,
    ``joiner``) to paths.
    """

    kind: str
    tokens: Path
    files: dict[str, Path] = field(default_factory=dict)


def find_sherpa_model(folder: Path) -> SherpaModel:
    """The model in ``folder``, told apart by its file names and the metadata in its ONNX files.

    SenseVoice and Paraformer ship the same file names, and a streaming transducer the same as an
    offline one, so the kind is read from the metadata their export scripts write (``lang_zh``
    for SenseVoice, ``lfr_window_size`` for Paraformer, ``decode_chunk_len`` on a streaming
    encoder). This matters: sherpa-onnx ends the whole process (exit code 255) instead of raising
    when a model's metadata does not match the kind it was loaded as. int8 files are preferred
    (a quarter of the size), except the transducer's decoder, which sherpa-onnx's own examples
    keep in float32. Raises :class:`VoiceConfigError` naming the folder and the
    files expected when nothing fits.
    """
    tokens = folder / "tokens.txt"
    single = _first(folder / "model.int8.onnx", folder / "model.onnx")
    parts = {
        "encoder": _pick(folder, "encoder", int8=True),
        "decoder": _pick(folder, "decoder", int8=False),
        "joiner": _pick(folder, "joiner", int8=True),
    }
    if tokens.is_file() and single is not None:
        metadata = _metadata(single)
        if "lang_zh" in metadata:
            return SherpaModel(SENSE_VOICE, tokens, {"model": single})
        if "lfr_window_size" in metadata:
            return SherpaModel(PARAFORMER, tokens, {"model": single})
        raise VoiceConfigError(
            f"{single} is neither a SenseVoice nor a Paraformer model for sherpa-onnx (its "
            f"metadata has no lang_zh or lfr_window_size); expected in {folder}: {EXPECTED_FILES}"
        )
    found = {name: path for name, path in parts.items() if path is not None}
    if tokens.is_file() and len(found) == len(parts):
        streaming = "decode_chunk_len" in _metadata(found["encoder"])
        return SherpaModel(STREAMING_TRANSDUCER if streaming else TRANSDUCER, tokens, found)
    present = sorted(path.name for path in folder.iterdir())
    raise VoiceConfigError(
        f"no sherpa-onnx model in {folder}: expected {EXPECTED_FILES}; found "
        f"{', '.join(present[:12]) or 'nothing'}"
    )


class SherpaOnnxTranscriber:
    """sherpa-onnx (next-gen Kaldi on onnxruntime) with a model folder from the settings.

    The production engine for Chinese: SenseVoice, Paraformer and zipformer transducer models
    (:func:`find_sherpa_model` says which folder layouts). Its wheels bundle onnxruntime, so
    nothing else is installed; ``sherpa_onnx`` is imported here, not at module import. The model
    is loaded once and shared; each call decodes its own stream, as sherpa-onnx's own servers do
    from a thread pool. Whole notes are decoded at once, also with a streaming model (its stream
    is fed the note, then closed).
    """

    engine = "sherpa-onnx"

    def __init__(self, model_path: str, *, rate: int = 16_000, threads: int = 1) -> None:
        try:
            import sherpa_onnx
        except ImportError as error:
            raise VoiceConfigError(
                "VOICE_ENGINE=sherpa-onnx needs the sherpa-onnx package (pip install "
                "sherpa-onnx==2.0.1)"
            ) from error
        folder = Path(model_path) if model_path else None
        if folder is None or not folder.is_dir():
            raise VoiceConfigError(
                f"VOICE_ENGINE=sherpa-onnx needs VOICE_MODEL_PATH to name an unpacked sherpa-onnx "
                f"model folder; got {model_path!r}"
            )
        self.model = find_sherpa_model(folder)
        self.rate = rate
        try:
            self._recognizer: Any = _load_sherpa(sherpa_onnx, self.model, rate, threads)
        except RuntimeError as error:  # what onnxruntime's load errors arrive as
            raise VoiceConfigError(
                f"sherpa-onnx could not load the {self.model.kind} model in {folder}: {error}"
            ) from error

    def transcribe(self, samples: PCM, rate: int) -> Transcript:
        """Decode the whole note and return the text (CJK characters without spaces)."""
        _check_rate(rate, self.rate)
        started = time.perf_counter()
        waveform = samples.astype(np.float32) / 32768
        stream = self._recognizer.create_stream()
        stream.accept_waveform(rate, waveform)
        if self.model.kind == STREAMING_TRANSDUCER:
            # The encoder looks ahead: without trailing silence the last word is never emitted.
            stream.accept_waveform(rate, np.zeros(int(0.66 * rate), dtype=np.float32))
            stream.input_finished()
            while self._recognizer.is_ready(stream):
                self._recognizer.decode_stream(stream)
            text = str(self._recognizer.get_result(stream))
        else:
            self._recognizer.decode_stream(stream)
            text = str(stream.result.text)
        return Transcript(
            text=_CJK_GAP.sub("", text).strip(),
            engine=self.engine,
            seconds=len(samples) / rate,
            elapsed=time.perf_counter() - started,
        )


def _load_sherpa(sherpa_onnx: Any, model: SherpaModel, rate: int, threads: int) -> Any:
    paths = {name: str(path) for name, path in model.files.items()}
    common = {"tokens": str(model.tokens), "num_threads": threads, "sample_rate": rate}
    if model.kind == SENSE_VOICE:
        # Inverse text normalisation: "十条" comes back as "10条", with punctuation.
        return sherpa_onnx.OfflineRecognizer.from_sense_voice(
            model=paths["model"], use_itn=True, **common
        )
    if model.kind == PARAFORMER:
        return sherpa_onnx.OfflineRecognizer.from_paraformer(paraformer=paths["model"], **common)
    if model.kind == STREAMING_TRANSDUCER:
        return sherpa_onnx.OnlineRecognizer.from_transducer(**paths, **common)
    return sherpa_onnx.OfflineRecognizer.from_transducer(**paths, **common)


def _first(*candidates: Path) -> Path | None:
    return next((path for path in candidates if path.is_file()), None)


def _pick(folder: Path, part: str, *, int8: bool) -> Path | None:
    """``<part>*.onnx`` in ``folder``, the int8 file first when ``int8``, else the float one."""
    files = sorted(folder.glob(f"{part}*.onnx"))
    quantised = [path for path in files if path.name.endswith(".int8.onnx")]
    full = [path for path in files if not path.name.endswith(".int8.onnx")]
    ordered = quantised + full if int8 else full + quantised
    return ordered[0] if ordered else None


def _metadata(path: Path) -> dict[str, str]:
    try:
        return onnx_metadata(path)
    except (OSError, ValueError) as error:
        raise VoiceConfigError(
            f"{path} is not an ONNX model sherpa-onnx can read: {error}"
        ) from error


def onnx_metadata(path: Path) -> dict[str, str]:
    """The ``metadata_props`` of an ONNX file, read without loading the model.

    An ONNX file is one protobuf ``ModelProto``; its metadata (field 14) follows the graph (field
    7), whose hundreds of megabytes are skipped with seeks, not read. Raises ``ValueError`` for a
    file that is not a protobuf message.
    """
    with path.open("rb") as stream:
        entries = _length_fields(stream, path.stat().st_size, 14)
    metadata: dict[str, str] = {}
    for entry in entries:
        key = _length_fields(io.BytesIO(entry), len(entry), 1)
        value = _length_fields(io.BytesIO(entry), len(entry), 2)
        if key:
            metadata[key[0].decode()] = value[0].decode() if value else ""
    return metadata


def _length_fields(stream: IO[bytes], end: int, number: int) -> list[bytes]:
    """The payloads of the length-delimited fields numbered ``number`` in a protobuf message."""
    found: list[bytes] = []
    while stream.tell() < end:
        key = _varint(stream)
        wire = key & 7
        if wire == 0:
            _varint(stream)
        elif wire in (1, 5):
            stream.seek(8 if wire == 1 else 4, io.SEEK_CUR)
        elif wire == 2:
            length = _varint(stream)
            if key >> 3 == number:
                payload = stream.read(length)
                if len(payload) != length:
                    raise ValueError("a field runs past the end of the file")
                found.append(payload)
            else:
                stream.seek(length, io.SEEK_CUR)
        else:
            raise ValueError(f"protobuf wire type {wire} at byte {stream.tell()}")
    if stream.tell() != end:
        raise ValueError("a field runs past the end of the file")
    return found


def _varint(stream: IO[bytes]) -> int:
    value = 0
    for shift in range(0, 64, 7):
        byte = stream.read(1)
        if not byte:
            raise ValueError("the file ends inside a number")
        value |= (byte[0] & 0x7F) << shift
        if byte[0] < 0x80:
            return value
    raise ValueError("a number longer than ten bytes")


def _check_rate(rate: int, expected: int) -> None:
    if rate != expected:
        raise ValueError(f"expected {expected} Hz samples, got {rate} Hz")
