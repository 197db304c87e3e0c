# The application image: the bot and the action server (one image, two commands).
FROM python:3.10-slim
WORKDIR /app
COPY requirements/app.txt requirements/app.txt
RUN pip install --no-cache-dir -r requirements/app.txt
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
