# syntax=docker/dockerfile:1
# hasanyone: `hasanyone serve` on 0.0.0.0:3000, as an unprivileged user, with the locked
# dependencies. Build: `docker build -t hasanyone .` (or `podman build`); run it with
# PostgreSQL as in compose.yaml. HASANYONE_ENV=production is set here, so the container
# refuses to start, one line per problem, until DATABASE_URL and the rest are right
# (docs/deploy.md). tests/test_container.py runs these same steps without a container engine;
# scripts/container-check builds and runs the image with podman where no registry answers.
ARG PYTHON_IMAGE=python:3.13-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY pyproject.toml constraints.txt README.md LICENSE app.yaml ./
COPY scripts/install-runtime scripts/
COPY bot bot
COPY adapters adapters
COPY knowledge knowledge
COPY jobs jobs
COPY hasanyone hasanyone
RUN scripts/install-runtime /opt/hasanyone

FROM ${PYTHON_IMAGE}
RUN groupadd --gid 10001 hasanyone \
 && useradd --no-log-init --uid 10001 --gid hasanyone --create-home hasanyone
COPY --from=build /opt/hasanyone /opt/hasanyone
ENV PATH=/opt/hasanyone/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HASANYONE_ENV=production \
    HASANYONE_HOST=0.0.0.0 \
    HASANYONE_PORT=3000
USER 10001:10001
WORKDIR /home/hasanyone
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-m", "adapters.healthcheck"]
CMD ["hasanyone", "serve"]
