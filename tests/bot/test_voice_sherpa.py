"""The sherpa-onnx engine: which model a folder holds, the errors a wrong folder gives at start-up,
a whole note through the real sherpa-onnx wheel, and, when a real model folder is at hand,
Chinese speech made by espeak-ng transcribed by it.

No model can be downloaded where CI runs, and no PyPI package ships one, so the tests here write
their own ONNX files (protobuf ``ModelProto`` messages built byte by byte): folders with the file
names and metadata keys of the published models, for finding the model, and a three-token
"Paraformer" whose answer depends on the loudness of its input, to run a note through the real
sherpa-onnx and onnxruntime. Recognition by a real model is tested when ``SHERPA_ONNX_MODEL_DIR``
(or ``VOICE_MODEL_PATH`` with ``VOICE_ENGINE=sherpa-onnx``) names an unpacked model folder
(README, "Voice"), and skipped with that reason otherwise. sherpa-onnx ends the process when a
model's metadata does not match the kind it was loaded as, so no test loads a file as a model
kind it was not written for.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

import numpy as np
import pytest

from bot.voice import (
    SAMPLE_RATE,
    SherpaOnnxTranscriber,
    VoiceConfigError,
    build_transcriber,
    decode_pcm16,
    find_sherpa_model,
    onnx_metadata,
)
from retail.i18n import t
from retail.settings import Settings
from standin import StandinClient
from tests.bot.stacks import bot_stack
from tests.speech import speech_ogg

MANAGER = 20001  # a manager in the seeded database
SENTENCE = "我要订中华香烟，下周送到店里"
KEY_CHARACTERS = set("订中华香烟下周送到店里")
SENSE_VOICE_METADATA = {"vocab_size": "25055", "lfr_window_size": "7", "lang_zh": "3"}
PARAFORMER_METADATA = {"vocab_size": "8404", "lfr_window_size": "7", "lfr_window_shift": "6"}
STREAMING_ENCODER_METADATA = {"model_type": "zipformer", "T": "39", "decode_chunk_len": "32"}
OFFLINE_ENCODER_METADATA = {"model_type": "zipformer2", "comment": "non-streaming zipformer2"}
TRANSDUCER = ("encoder", "decoder", "joiner")
FLOAT, INT32 = 1, 6  # ONNX TensorProto data types


# --- ONNX files, byte by byte -----------------------------------------------------------------


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        out.append(low | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _bytes(number: int, payload: bytes | str) -> bytes:
    data = payload.encode() if isinstance(payload, str) else payload
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def _int(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(value)


def _props(metadata: dict[str, str]) -> bytes:
    return b"".join(
        _bytes(14, _bytes(1, key) + _bytes(2, value)) for key, value in metadata.items()
    )


def write_onnx(
    path: Path, metadata: dict[str, str], *, graph: bytes | None = None, padding: int = 1_000
) -> Path:
    """A ``ModelProto`` (IR 8, opset 13) with ``graph`` before ``metadata``, as in real files;
    without ``graph``, one that holds only a name of ``padding`` bytes (never to be loaded)."""
    graph = graph if graph is not None else _bytes(2, "g" * padding)
    body = (
        _int(1, 8) + _bytes(2, "tests") + _bytes(7, graph) + _bytes(8, _bytes(1, "") + _int(2, 13))
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body + _props(metadata))
    return path


def _tensor(name: str, elem_type: int, dims: list[int | str]) -> bytes:
    shape = b"".join(
        _bytes(1, _bytes(2, dim) if isinstance(dim, str) else _int(1, dim)) for dim in dims
    )
    return _bytes(1, name) + _bytes(2, _bytes(1, _int(1, elem_type) + _bytes(2, shape)))


def _node(op_type: str, inputs: list[str], outputs: list[str], attributes: bytes = b"") -> bytes:
    wiring = b"".join(_bytes(1, x) for x in inputs) + b"".join(_bytes(2, x) for x in outputs)
    return _bytes(1, wiring + _bytes(4, op_type) + attributes)


def _floats(name: str, values: list[float]) -> bytes:
    data = struct.pack(f"<{len(values)}f", *values)
    return _bytes(5, _int(1, len(values)) + _int(2, FLOAT) + _bytes(8, name) + _bytes(9, data))


def write_loudness_paraformer(folder: Path) -> Path:
    """A Paraformer-shaped model with tokens 静 (quiet), 声 (sound) and </s>: one token per note,
    声 when the mean log-mel energy of its features is above zero. sherpa-onnx computes the
    features, runs the graph in onnxruntime and decodes the logits as for a real Paraformer."""
    keep_dims = _bytes(5, _bytes(1, "keepdims") + _int(3, 1) + _int(20, 2))
    graph = (
        _node("ReduceMean", ["speech"], ["energy"], keep_dims)
        + _node("Mul", ["energy", "weights"], ["scaled"])
        + _node("Add", ["scaled", "bias"], ["logits"])
        + _node("Identity", ["speech_lengths"], ["token_num"])
        + _bytes(2, "loudness")
        + _floats("weights", [-1.0, 1.0, 0.0])
        + _floats("bias", [0.0, 0.0, -1000.0])
        + _bytes(11, _tensor("speech", FLOAT, ["N", "T", 80]))
        + _bytes(11, _tensor("speech_lengths", INT32, ["N"]))
        + _bytes(12, _tensor("logits", FLOAT, [1, 1, 3]))
        + _bytes(12, _tensor("token_num", INT32, ["N"]))
    )
    metadata = {
        "vocab_size": "3",
        "lfr_window_size": "1",
        "lfr_window_shift": "1",
        "neg_mean": ",".join(["0"] * 80),
        "inv_stddev": ",".join(["1"] * 80),
    }
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tokens.txt").write_text("静 0\n声 1\n</s> 2\n", encoding="utf-8")
    return write_onnx(folder / "model.onnx", metadata, graph=graph)


def write_tokens(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    tokens = folder / "tokens.txt"
    tokens.write_text("<blk> 0\n我 1\n要 2\n", encoding="utf-8")
    return tokens


def streaming_bilingual_folder(root: Path, encoder: dict[str, str]) -> Path:
    """The file names of sherpa-onnx-streaming-zipformer-bilingual-zh-en-2023-02-20, language
    model files included (they must not be taken for parts of the transducer)."""
    folder = root / "sherpa-onnx-streaming-zipformer-bilingual-zh-en-2023-02-20"
    write_tokens(folder)
    for suffix in (".onnx", ".int8.onnx"):
        write_onnx(folder / f"encoder-epoch-99-avg-1{suffix}", encoder)
        write_onnx(folder / f"decoder-epoch-99-avg-1{suffix}", {"context_size": "2"})
        write_onnx(folder / f"joiner-epoch-99-avg-1{suffix}", {})
    write_onnx(folder / "no-state-epoch-99-avg-1.int8.onnx", {})
    return folder


# --- which model a folder holds ---------------------------------------------------------------


def test_onnx_metadata_is_read_from_behind_a_large_graph(tmp_path: Path) -> None:
    path = write_onnx(tmp_path / "model.onnx", SENSE_VOICE_METADATA, padding=3_000_000)

    assert onnx_metadata(path) == SENSE_VOICE_METADATA


def test_a_sense_voice_folder_is_loaded_from_its_int8_model(tmp_path: Path) -> None:
    folder = tmp_path / "sherpa-onnx-sense-voice-zh-en-ja-ko-yue-2024-07-17"
    tokens = write_tokens(folder)
    int8 = write_onnx(folder / "model.int8.onnx", SENSE_VOICE_METADATA)
    write_onnx(folder / "model.onnx", SENSE_VOICE_METADATA)

    model = find_sherpa_model(folder)

    assert (model.kind, model.tokens, model.files) == ("sense-voice", tokens, {"model": int8})


def test_a_paraformer_is_told_from_sense_voice_by_its_metadata(tmp_path: Path) -> None:
    # The same file names as SenseVoice, and the folder name says nothing.
    tokens = write_tokens(tmp_path / "zh")
    model_file = write_onnx(tmp_path / "zh" / "model.onnx", PARAFORMER_METADATA)

    model = find_sherpa_model(tmp_path / "zh")

    assert (model.kind, model.tokens, model.files) == ("paraformer", tokens, {"model": model_file})


def test_a_streaming_zipformer_uses_int8_encoder_and_joiner_and_float_decoder(
    tmp_path: Path,
) -> None:
    folder = streaming_bilingual_folder(tmp_path, STREAMING_ENCODER_METADATA)

    model = find_sherpa_model(folder)

    assert model.kind == "streaming-transducer"
    assert {name: path.name for name, path in model.files.items()} == {
        "encoder": "encoder-epoch-99-avg-1.int8.onnx",
        "decoder": "decoder-epoch-99-avg-1.onnx",
        "joiner": "joiner-epoch-99-avg-1.int8.onnx",
    }


def test_a_transducer_whose_encoder_has_no_chunk_length_is_decoded_offline(
    tmp_path: Path,
) -> None:
    folder = streaming_bilingual_folder(tmp_path, OFFLINE_ENCODER_METADATA)

    assert find_sherpa_model(folder).kind == "transducer"


# --- start-up errors ------------------------------------------------------------------------


def _sherpa_settings(model_path: str) -> Settings:
    return Settings(voice_engine="sherpa-onnx", voice_model_path=model_path)


def test_a_folder_without_model_files_names_the_folder_and_the_files_expected(
    tmp_path: Path,
) -> None:
    (tmp_path / "README.md").write_text("not a model\n")

    with pytest.raises(VoiceConfigError) as failure:
        build_transcriber(_sherpa_settings(str(tmp_path)))

    message = str(failure.value)
    assert f"no sherpa-onnx model in {tmp_path}" in message
    assert "tokens.txt with model.int8.onnx or model.onnx" in message
    assert "encoder*.onnx, decoder*.onnx and joiner*.onnx" in message
    assert message.endswith("found README.md")


@pytest.mark.parametrize("model_path", ["", "/nonexistent/sherpa-model"])
def test_sherpa_onnx_without_a_model_folder_is_a_configuration_error(model_path: str) -> None:
    with pytest.raises(VoiceConfigError, match="VOICE_MODEL_PATH to name an unpacked sherpa-onnx"):
        build_transcriber(_sherpa_settings(model_path))


def test_a_model_that_is_neither_sense_voice_nor_paraformer_is_refused_before_loading(
    tmp_path: Path,
) -> None:
    write_tokens(tmp_path)
    write_onnx(tmp_path / "model.onnx", {"model_type": "whisper-tiny"})

    with pytest.raises(VoiceConfigError, match="neither a SenseVoice nor a Paraformer model"):
        build_transcriber(_sherpa_settings(str(tmp_path)))


def test_bytes_that_are_not_onnx_are_a_configuration_error_naming_the_file(
    tmp_path: Path,
) -> None:
    write_tokens(tmp_path)
    broken = tmp_path / "model.int8.onnx"
    broken.write_bytes(b"\x0f" + bytes(range(256)) * 4)

    with pytest.raises(VoiceConfigError, match=f"{broken} is not an ONNX model"):
        build_transcriber(_sherpa_settings(str(tmp_path)))


@pytest.mark.parametrize(
    ("kind", "files"),
    [
        ("sense-voice", {"model.int8.onnx": SENSE_VOICE_METADATA}),
        ("paraformer", {"model.onnx": PARAFORMER_METADATA}),
        ("transducer", {f"{part}.onnx": OFFLINE_ENCODER_METADATA for part in TRANSDUCER}),
        (
            "streaming-transducer",
            {f"{part}.onnx": STREAMING_ENCODER_METADATA for part in TRANSDUCER},
        ),
    ],
)
def test_a_model_onnxruntime_cannot_load_is_a_configuration_error(
    tmp_path: Path, kind: str, files: dict[str, dict[str, str]]
) -> None:
    # The right metadata but no graph: each kind's recogniser is built with the arguments the
    # engine passes, onnxruntime refuses the file, and sherpa-onnx raises (it does not exit).
    write_tokens(tmp_path)
    for name, metadata in files.items():
        (tmp_path / name).write_bytes(_props(metadata))

    with pytest.raises(VoiceConfigError) as failure:
        build_transcriber(_sherpa_settings(str(tmp_path)))

    assert f"could not load the {kind} model in {tmp_path}" in str(failure.value)
    assert "does not have a graph" in str(failure.value)


def test_without_the_sherpa_onnx_package_the_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "sherpa_onnx", None)  # makes `import sherpa_onnx` fail

    with pytest.raises(VoiceConfigError, match=r"pip install sherpa-onnx==2\.0\.1"):
        build_transcriber(_sherpa_settings(str(tmp_path)))


def test_the_unknown_engine_error_lists_sherpa_onnx() -> None:
    with pytest.raises(VoiceConfigError, match="none, pocketsphinx, vosk, sherpa-onnx"):
        build_transcriber(Settings(voice_engine="kaldi"))


# --- a note through the real sherpa-onnx, with a model made here -------------------------------


@pytest.fixture(scope="module")
def loudness_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model folder holding the loudness Paraformer."""
    folder = tmp_path_factory.mktemp("loudness-paraformer")
    write_loudness_paraformer(folder)
    return folder


@pytest.fixture(scope="module")
def loudness(loudness_folder: Path) -> SherpaOnnxTranscriber:
    """The engine as the bot builds it, with the loudness Paraformer."""
    engine = build_transcriber(_sherpa_settings(str(loudness_folder)))
    assert isinstance(engine, SherpaOnnxTranscriber)
    return engine


def test_a_voice_note_runs_through_sherpa_onnx_and_reaches_the_model(
    loudness: SherpaOnnxTranscriber,
) -> None:
    pcm = decode_pcm16(speech_ogg(SENTENCE, voice="cmn"))

    spoken = loudness.transcribe(pcm, SAMPLE_RATE)
    silent = loudness.transcribe(np.zeros(SAMPLE_RATE, dtype=np.int16), SAMPLE_RATE)

    assert loudness.model.kind == "paraformer"
    assert (spoken.text, spoken.engine) == ("声", "sherpa-onnx")
    assert spoken.seconds == pytest.approx(len(pcm) / SAMPLE_RATE)
    assert silent.text == "静"


def test_sherpa_onnx_refuses_samples_at_the_wrong_rate(loudness: SherpaOnnxTranscriber) -> None:
    with pytest.raises(ValueError, match="16000 Hz"):
        loudness.transcribe(np.zeros(8_000, dtype=np.int16), 8_000)


async def test_the_bot_started_with_sherpa_onnx_shows_what_the_model_heard(
    loudness_folder: Path, tmp_path: Path
) -> None:
    """The production settings path: VOICE_ENGINE and VOICE_MODEL_PATH in the bot's environment,
    the engine built at start-up, a voice note through the Bot API stand-in (Rasa unreachable)."""
    stack = bot_stack(
        tmp_path,
        RETRY_FAILED_EVERY_SECONDS="3600",
        VOICE_ENGINE="sherpa-onnx",
        VOICE_MODEL_PATH=str(loudness_folder),
        VOICE_DIR=str(tmp_path / "voice"),
    )
    try:
        stack.wait_ready(stack.start_standin(), timeout=30)
        stack.wait_ready(stack.start_bot(), timeout=60)
        async with StandinClient(stack.standin_url) as client:
            await client.add_user(MANAGER, first_name="王建国", language_code="zh")
            since = await client.last_seq()
            await client.send_voice(MANAGER, speech_ogg(SENTENCE, voice="cmn"), duration=3)
            transcript, *_ = await client.wait_for_messages(
                MANAGER, 1, since=since, timeout=60, methods={"sendMessage"}
            )
    finally:
        stack.stop()

    assert transcript["text"] == t("zh", "voice.transcript", text="声")


# --- recognition with a real model (skipped without one) ------------------------------------


def _model_folder() -> Path | None:
    named = os.environ.get("SHERPA_ONNX_MODEL_DIR", "")
    if not named and os.environ.get("VOICE_ENGINE", "").lower() == "sherpa-onnx":
        named = os.environ.get("VOICE_MODEL_PATH", "")
    return Path(named) if named else None


@pytest.fixture(scope="module")
def sherpa() -> SherpaOnnxTranscriber:
    """The engine as the bot builds it, from the model folder the environment names."""
    folder = _model_folder()
    if folder is None or not folder.is_dir():
        pytest.skip(
            "no sherpa-onnx model folder: set SHERPA_ONNX_MODEL_DIR to an unpacked model "
            f"(README, Voice) to run this test; got {str(folder or '') or 'nothing'!r}"
        )
    engine = build_transcriber(_sherpa_settings(str(folder)))
    assert isinstance(engine, SherpaOnnxTranscriber)
    return engine


def test_sherpa_onnx_recognises_chinese_speech(sherpa: SherpaOnnxTranscriber) -> None:
    """espeak-ng's Mandarin is robotic; the bar (half the key characters) was set without a model
    at hand to calibrate it, like the English test's three words in five."""
    pcm = decode_pcm16(speech_ogg(SENTENCE, voice="cmn", words_per_minute=120))

    transcript = sherpa.transcribe(pcm, SAMPLE_RATE)

    heard = KEY_CHARACTERS & set(transcript.text)
    print(
        f"\n{sherpa.model.kind} heard {transcript.text!r}: {len(heard)}/{len(KEY_CHARACTERS)} key "
        f"characters; {transcript.elapsed:.2f} s for {transcript.seconds:.1f} s of audio "
        f"(real-time factor {transcript.elapsed / transcript.seconds:.2f})"
    )
    assert transcript.engine == "sherpa-onnx"
    assert transcript.seconds == pytest.approx(len(pcm) / SAMPLE_RATE)
    assert len(heard) >= len(KEY_CHARACTERS) // 2, transcript.text


def test_sherpa_onnx_hears_words_in_the_models_own_test_recordings(
    sherpa: SherpaOnnxTranscriber,
) -> None:
    recordings = sorted((sherpa.model.tokens.parent / "test_wavs").glob("*.wav"))
    if not recordings:
        pytest.skip("the model folder has no test_wavs/*.wav")
    for recording in recordings:
        transcript = sherpa.transcribe(decode_pcm16(recording.read_bytes()), SAMPLE_RATE)

        print(f"\n{recording.name}: {transcript.text!r} in {transcript.elapsed:.2f} s")
        assert transcript.text, recording.name
