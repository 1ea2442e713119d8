# One image, several commands (docker-compose.yml): `python -m server.migrate`, `rnn-grader serve`,
# `rnn-grader worker`. See docs/deployment.md.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# libseccomp2: the sandbox's seccomp filter (pyseccomp loads it). Nothing else from apt.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libseccomp2 \
    && rm -rf /var/lib/apt/lists/*

# A fixed, unprivileged uid with no login shell; the code is root-owned and read-only to it.
RUN groupadd --system --gid 10001 grader \
    && useradd --system --uid 10001 --gid grader --home-dir /home/grader --create-home \
       --shell /usr/sbin/nologin grader

WORKDIR /app
COPY pyproject.toml README.md ./
COPY server ./server
COPY grader ./grader
COPY reference ./reference
COPY cli ./cli
COPY rnn_grader_client ./rnn_grader_client
COPY exercises ./exercises
# The student client wheel (GET /api/v1/client) is built from these sources at run time.
COPY client ./client
RUN pip install --no-cache-dir . \
    && python -c "import server.app, grader.sandbox.zygote, pyseccomp, procrastinate"

USER grader
ENV RNN_GRADER_HOST=0.0.0.0 \
    RNN_GRADER_PORT=8000 \
    RNN_GRADER_DATA_DIR=/tmp/rnn-grader \
    RNN_GRADER_EXERCISES_DIR=/app/exercises \
    RNN_GRADER_CLIENT_DIR=/app/client \
    RNN_GRADER_HEALTHCHECK_URL=http://127.0.0.1:8000/healthz
EXPOSE 8000

# The API answers /healthz; a grader (RNN_GRADER_METRICS_PORT) is checked through its /metrics port:
# the compose file sets RNN_GRADER_HEALTHCHECK_URL per service.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(os.environ['RNN_GRADER_HEALTHCHECK_URL'], timeout=4)"]

CMD ["rnn-grader", "serve"]
