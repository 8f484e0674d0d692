# syntax=docker/dockerfile:1
# csoapi: multi-stage build; the runtime image holds the virtualenv, the migrations and no
# build tools, and runs as an unprivileged user.

FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
COPY pyproject.toml README.md ./
COPY src ./src
RUN /opt/venv/bin/pip install --no-cache-dir .

FROM python:3.11-slim-bookworm AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CSOAPI_ENV=production \
    CSOAPI_ALEMBIC_INI=/app/alembic.ini \
    CSOAPI_PORT=8000
RUN groupadd --system --gid 10001 csoapi \
    && useradd --system --uid 10001 --gid csoapi --home-dir /app --shell /usr/sbin/nologin csoapi
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY --chown=csoapi:csoapi alembic.ini ./
COPY --chown=csoapi:csoapi migrations ./migrations
USER 10001:10001
EXPOSE 8000
# `csoapi serve` and the health check both read CSOAPI_PORT: change the port in one place.
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('CSOAPI_PORT', '8000'), timeout=2).status == 200 else 1)"]
# CSOAPI_DATABASE_URL and CSOAPI_JWT_SECRET come from the environment; run `csoapi migrate`
# once per release (a job or an init container) before the new version serves.
CMD ["csoapi", "serve", "--host", "0.0.0.0", "--workers", "2"]
