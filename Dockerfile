# syntax=docker/dockerfile:1
#
# Casino-Club F2P backend image. One image serves every role; the command picks it:
#   casino-club serve    HTTP API (default)
#   casino-club migrate  apply the alembic migrations, then exit
#   casino-club worker   background jobs (arq)
#
# Build:  docker build -t casino-club .
# Run:    docker run --rm -p 8000:8000 -e JWT_SECRET=... -e DATABASE_URL=... -e REDIS_URL=... casino-club
# (docker-compose.yml wires the whole stack; prefer it.)

# Both stages must use the same interpreter: the venv is copied across and its
# scripts point at /opt/venv/bin/python, which links to the base image's python.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---------------------------------------------------------------------------
# builder: compile/install everything into a self-contained venv
# ---------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore

# A compiler is only needed when a pinned package has no wheel for this
# platform (e.g. a new arm64 release); it stays in this stage and never ships.
# Unpinned on purpose: it only compiles, and bookworm's security updates should apply.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*

RUN python -m venv /opt/venv
ENV PATH="/opt/venv/bin:${PATH}"

WORKDIR /build

# Dependencies first, from the runtime lock alone (no test or lint tools: the
# same pins as requirements.lock, without the dev extra), so editing code does
# not bust this (slow) layer. The project is then added without letting pip
# resolve anything else.
COPY requirements.runtime.lock ./
RUN pip install -r requirements.runtime.lock

COPY pyproject.toml README.md ./
COPY src/ src/
COPY workers/ workers/
# pip check: fail the build, not the container, if the lock and pyproject disagree.
# Bytecode now, as root in the builder: at run time the code is read-only and
# PYTHONDONTWRITEBYTECODE is set, so an uncompiled module would be compiled
# again by every process on every start.
RUN pip install --no-deps . \
 && pip check \
 && python -m compileall -q -j 0 /opt/venv

# ---------------------------------------------------------------------------
# runtime: slim base + the venv + the files the CLI reads at run time
# ---------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

LABEL org.opencontainers.image.title="casino-club" \
      org.opencontainers.image.description="Casino-Club F2P backend (Litestar API, arq worker, migrations)"

# Safe production defaults: production mode refuses to start without a real
# JWT_SECRET, PostgreSQL and Redis, so a misconfigured container fails loudly.
# HOST must be 0.0.0.0 in a container, or the published port reaches nothing.
ENV PATH="/opt/venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    APP_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000

# Fixed, unprivileged ids so volume ownership is predictable across rebuilds.
RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin app

COPY --from=builder /opt/venv /opt/venv

WORKDIR /app
# Code stays root-owned (the app cannot rewrite itself); `migrate` needs
# alembic.ini and migrations/ relative to this working directory.
COPY alembic.ini pyproject.toml README.md ./
COPY migrations/ migrations/
COPY src/ src/
COPY workers/ workers/

# var/ and keys/ are the only writable paths: VAR_DIR defaults to ./var, where
# the embedded fallbacks (SQLite, chDB) would live if DATABASE_URL/CLICKHOUSE_DSN
# are unset; keys/ is where compose's app-keys volume is mounted (a new named
# volume takes this directory's owner, so the app can write the VAPID key).
RUN python -m compileall -q -j 0 migrations src workers \
 && mkdir -p /app/var /app/keys \
 && chown app:app /app/var /app/keys

# Numeric, so Kubernetes' runAsNonRoot can verify it without /etc/passwd.
USER 10001:10001

EXPOSE 8000

# Liveness only (/health); /ready also checks dependencies and belongs to the
# orchestrator. urllib because the slim image has no curl; urlopen raises on
# any non-2xx answer, so the exit code is the verdict. Non-HTTP roles
# (worker, migrate) should disable this check (docker-compose.yml does).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('PORT', '8000'), timeout=4)"]

# Exec form: the python process is PID 1 and receives SIGTERM directly.
CMD ["casino-club", "serve"]
