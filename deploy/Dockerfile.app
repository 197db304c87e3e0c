# The application image: the bot and the action server (one image, two commands).
FROM python:3.12-slim
WORKDIR /app
COPY requirements/app.txt requirements/app.txt
# app.txt holds the voice engines too: pocketsphinx (with its English model) and sherpa-onnx
# (its wheels bundle onnxruntime and libasound; about 42 MB installed). The import check fails the
# build, not the bot's start-up, if a wheel does not load on this base image. No speech model is
# baked in: mount the unpacked sherpa-onnx model folder read-only and point VOICE_MODEL_PATH at it
# with VOICE_ENGINE=sherpa-onnx (README, "Voice").
RUN pip install --no-cache-dir --require-hashes -r requirements/app.txt \
    && python -c "import pocketsphinx, sherpa_onnx, soundfile"
COPY alembic.ini ./
COPY retail retail
COPY lang lang
COPY actions actions
COPY bot bot
COPY trust trust
COPY scripts scripts
COPY data/demo data/demo
ENV PYTHONPATH=/app PYTHONUNBUFFERED=1
# Not root: a compromised process gets an unprivileged user that can write only var/.
RUN useradd --system --uid 10001 --create-home app && mkdir -p /app/var && chown app /app/var
USER app
CMD ["python", "-m", "bot"]
