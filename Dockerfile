# syntax=docker/dockerfile:1
#
# One image for every Seedbed process: `seedbed <service> api|worker|migrate`, the services' jobs
# (`seedbed <service> <job> [args]`, e.g. `seedbed registry screening`), `seedbed topics create` (deploy/k8s
# passes these as args; ENTRYPOINT is the `seedbed` console script). APIs listen on 8001-8005, the workers'
# health and metrics server on 9001-9005 (set in deploy/k8s, not EXPOSEd here).
#
#   docker build -t seedbed:dev .
#   docker run --rm seedbed:dev registry api      # needs SEEDBED_REGISTRY_* settings, see docs/operations.md
#
# Builder: build wheels for the project and its pinned dependencies, install them into a virtual environment
# at /opt/seedbed. Runtime: the same base image, that virtual environment only (the project is installed as a
# regular, non-editable package, so the venv holds the source and the Alembic trees), a fixed non-root user.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/seedbed

WORKDIR /src
# Only what the package needs (see .dockerignore): pyproject.toml and the two package trees.
COPY pyproject.toml ./
COPY shared ./shared
COPY services ./services

# Wheels first (all dependencies are pinned in pyproject.toml), then an offline install from them: the venv
# gets exactly the built wheels, and pip compiles the bytecode now, since the runtime filesystem is read-only.
RUN /opt/seedbed/bin/pip wheel --wheel-dir /wheels . \
 && /opt/seedbed/bin/pip install --no-index --find-links /wheels seedbed \
 && /opt/seedbed/bin/seedbed --help >/dev/null


FROM ${PYTHON_IMAGE} AS runtime

LABEL org.opencontainers.image.title="seedbed" \
      org.opencontainers.image.description="Seedbed: registry, scenarios, matching, funding and licensing services" \
      org.opencontainers.image.licenses="UNLICENSED"

# A fixed UID/GID (10001) that matches runAsUser/runAsGroup in deploy/k8s; no login shell, no home directory.
RUN groupadd --system --gid 10001 seedbed \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin seedbed

COPY --from=builder /opt/seedbed /opt/seedbed

ENV PATH=/opt/seedbed/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp \
    TZ=UTC

# The only writable place (an emptyDir in Kubernetes, where the root filesystem is read-only).
WORKDIR /tmp
USER 10001:10001

ENTRYPOINT ["seedbed"]
CMD ["--help"]
