# syntax=docker/dockerfile:1
# Production image: dependencies built in one stage, a slim runtime as a numeric non-root user in
# the other.
#   docker build -t gatehouse .
#   docker run -p 8000:8000 -e SECRET_KEY=... -e MAIL_BACKEND=smtp -e SMTP_HOST=... -e MAIL_FROM=... -e DATABASE_URL=postgresql+asyncpg://... gatehouse
#   docker run --rm -it -e SECRET_KEY=... -e MAIL_BACKEND=console -e DATABASE_URL=... gatehouse gatehouse create-admin --email admin@example.com
# The base images are arguments, so a build can take them from a mirror or a local image made
# from Debian packages (any Debian or Ubuntu with python3 and python3-venv, Python 3.11 or newer):
#   docker build --build-arg PYTHON_IMAGE=registry.example.com/python:3.12-slim -t gatehouse .
ARG PYTHON_IMAGE=python:3.12-slim
ARG RUNTIME_IMAGE=${PYTHON_IMAGE}

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python3 -m venv /opt/venv
# The exact, hash-checked versions of requirements/runtime.lock first (a layer of its own, rebuilt
# only when the lock changes), then Gatehouse itself without resolving anything again.
COPY requirements/runtime.lock ./requirements/
RUN /opt/venv/bin/pip install --require-hashes -r requirements/runtime.lock
COPY pyproject.toml README.md ./
COPY app ./app
RUN /opt/venv/bin/pip install --no-deps . && /opt/venv/bin/gatehouse --help >/dev/null

FROM ${RUNTIME_IMAGE}
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/srv \
    ENVIRONMENT=production \
    WEB_CONCURRENCY=2
# A numeric user and group (10001), so that `runAsNonRoot` can verify it; /srv/data (the SQLite
# database when DATABASE_URL is not set) belongs to it.
RUN groupadd --system --gid 10001 gatehouse \
    && useradd --system --uid 10001 --gid 10001 --home-dir /srv --shell /usr/sbin/nologin gatehouse \
    && mkdir -p /srv/data && chown 10001:10001 /srv/data && chmod 0700 /srv/data
COPY --from=build /opt/venv /opt/venv
WORKDIR /srv
USER 10001:10001
EXPOSE 8000
VOLUME ["/srv/data"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=40s --retries=3 \
    CMD ["python", "-c", "import urllib.request, sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status == 200 else 1)"]
# Migrations first (once, under a lock, also safe when several containers start together), then
# the workers (WEB_CONCURRENCY of them). Both wait up to STARTUP_CONNECT_TIMEOUT_SECONDS for the
# database, and refuse a bad setting with a one-line message and exit status 2.
CMD ["sh", "-c", "gatehouse migrate && exec gatehouse serve --host 0.0.0.0 --port 8000"]
