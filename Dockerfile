# syntax=docker/dockerfile:1
# Production image: dependencies built in one stage, a slim non-root runtime in the other.
#   docker build -t gatehouse .
#   docker run -p 8000:8000 -e ENVIRONMENT=production -e SECRET_KEY=... -e DATABASE_URL=... gatehouse

FROM python:3.12-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
# The exact, hash-checked versions of requirements/runtime.lock first (a layer of its own, rebuilt
# only when the lock changes), then Gatehouse itself without resolving anything again.
COPY requirements/runtime.lock ./requirements/
RUN /opt/venv/bin/pip install --upgrade pip && /opt/venv/bin/pip install --require-hashes -r requirements/runtime.lock
COPY pyproject.toml README.md ./
COPY app ./app
RUN /opt/venv/bin/pip install --no-deps .

FROM python:3.12-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ENVIRONMENT=production \
    WEB_CONCURRENCY=2
RUN groupadd --system gatehouse && useradd --system --gid gatehouse --home-dir /srv --shell /usr/sbin/nologin gatehouse \
    && mkdir -p /srv/data && chown gatehouse:gatehouse /srv/data
COPY --from=build /opt/venv /opt/venv
WORKDIR /srv
USER gatehouse
EXPOSE 8000
VOLUME ["/srv/data"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request, sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status == 200 else 1)"]
# Migrations first (once, under a lock, also safe when several containers start together),
# then the workers (WEB_CONCURRENCY of them).
CMD ["sh", "-c", "python -m app.db.migrate && exec python -m app --host 0.0.0.0 --port 8000"]
