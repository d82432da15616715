# The image of each service, from one file. Build from the repository root (it needs
# servicekit/ and uv.lock), naming the service and its port:
#   docker build --build-arg SERVICE=discount --build-arg PORT=8001 -t discount_service .
#   docker build --build-arg SERVICE=payment --build-arg PORT=8003 -t payment_service .
#   docker build --build-arg SERVICE=cart --build-arg PORT=8002 -t cart_service .
#   docker build --build-arg SERVICE=catalog --build-arg PORT=8004 -t catalog_service .
# docker-compose.yml passes the same arguments.
# checkov:skip=CKV_DOCKER_7: FROM ${PYTHON_IMAGE}, whose default below is a version tag AND a digest
# The official image by digest (python:3.11-slim-bookworm, 2026-08); scripts/compose-lib.sh
# passes a local stand-in where no registry answers.
ARG PYTHON_IMAGE=docker.io/library/python:3.11-slim-bookworm@sha256:0bee7276f83efd4a1ee05bbbf4281d95ed28e079220a9457f25a93e3f1e3c31b
FROM ${PYTHON_IMAGE} AS build
ARG SERVICE
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/opt/venv
RUN pip install --no-cache-dir "uv==0.13.8"
WORKDIR /src
COPY pyproject.toml uv.lock ./
COPY servicekit/ servicekit/
# The workspace's other members, for the lock file: their pyproject.toml only.
COPY harness/pyproject.toml harness/
COPY discount_service/pyproject.toml discount_service/
COPY payment_service/pyproject.toml payment_service/
COPY cart_service/pyproject.toml cart_service/
COPY catalog_service/pyproject.toml catalog_service/
RUN case "$SERVICE" in discount|payment|cart|catalog) ;; *) echo "--build-arg SERVICE=discount|payment|cart|catalog" >&2; exit 1;; esac \
    && uv sync --locked --no-dev --no-editable --package "${SERVICE}-service"

FROM ${PYTHON_IMAGE}
ARG SERVICE
ARG PORT=8000
RUN useradd --system --uid 10001 --no-create-home --home-dir /app app
COPY --from=build /opt/venv /opt/venv
COPY --chown=root:root ${SERVICE}_service/ /app/
WORKDIR /app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_ENV=production \
    SERVICE_NAME=${SERVICE}_service \
    BIND=0.0.0.0:${PORT}
USER app
EXPOSE ${PORT}
# What docker-compose.yml also asks; servicekit.healthcheck needs no curl in the image.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-m", "servicekit.healthcheck"]
# Migrations run on start; gunicorn then replaces the shell. docker-compose.yml and
# deploy/k8s migrate once in a container of their own and run gunicorn only.
CMD ["sh", "-c", "python manage.py migrate --noinput && exec gunicorn -c python:servicekit.gunicorn_conf config.wsgi"]
