# One image, several commands (docker-compose.yml): `python -m server.migrate`, `rnn-grader serve`,
# `rnn-grader worker`. See docs/deployment.md. Needs BuildKit (Docker Engine 23+ / Compose v2 use it).
# PYTHON_IMAGE: the base; a machine that cannot pull the official one passes a stand-in built from
# Debian packages (deploy/standin/python.Dockerfile, chosen by deploy/compose_stack.py).
ARG PYTHON_IMAGE=python:3.11-slim
FROM ${PYTHON_IMAGE}
LABEL org.rnn-grader.app="rnn-grader"

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# libseccomp2: the sandbox's seccomp filter (pyseccomp loads it). postgresql-client: pg_dump and pg_restore for
# `rnn-grader backup` / `restore` (docs/operations.md). pg_dump must be at least the server's major version and
# Debian bookworm's is 15: against postgres:16, install postgresql-client-16 from PostgreSQL's own apt repository
# here instead, or run the database on 15. Nothing else from apt.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libseccomp2 postgresql-client \
    && rm -rf /var/lib/apt/lists/*

# A fixed, unprivileged uid with no login shell; the code is root-owned and read-only to it.
RUN groupadd --system --gid 10001 grader \
    && useradd --system --uid 10001 --gid grader --home-dir /home/grader --create-home \
       --shell /usr/sbin/nologin grader

WORKDIR /app
# The build secret `pip_ca` (optional) is a CA bundle for pip on a network that intercepts TLS; a secret
# is mounted only for the step that names it and is in no layer of the image.
# Dependencies first, from pyproject.toml alone: this layer is rebuilt only when they change, not with
# every change of the code.
COPY pyproject.toml README.md deploy/python-deps.sh ./
RUN --mount=type=secret,id=pip_ca sh python-deps.sh python
COPY server ./server
COPY grader ./grader
COPY reference ./reference
COPY cli ./cli
COPY rnn_grader_client ./rnn_grader_client
COPY exercises ./exercises
# The student client wheel (GET /api/v1/client) is built from these sources at run time.
COPY client ./client
RUN --mount=type=secret,id=pip_ca \
    if [ -s /run/secrets/pip_ca ]; then export PIP_CERT=/run/secrets/pip_ca; fi; \
    pip install --no-cache-dir --no-deps . \
    && python -c "import server.app, grader.sandbox.zygote, pyseccomp, procrastinate" \
    && (python -c "from server.sqlite_library import describe; print(describe())" \
        || echo "no SQLite with the WAL-reset fix (no pysqlite3 wheel here): this image serves PostgreSQL only") \
    && pg_dump --version

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
