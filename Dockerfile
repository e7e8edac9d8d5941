# The operator image:  docker build -t sagemaker-registry-operator:0.1.0 .   (or `make image`, podman)
#
# Two stages on the same pinned slim Python. The first installs the operator and its runtime
# dependencies, at the versions in requirements.lock, into a virtual environment without pip; the
# second copies only that environment: no pip caches, no build backend, no compilers (every
# dependency ships a wheel), and it runs as a non-root user.
#
# tests/e2e/test_packaging_image.py runs this file's build-stage RUN lines for real, in a fresh
# virtual environment, and checks the result: keep them plain shell, one command each.
# tests/image/ builds the image with podman (`make image`) and runs the operator from it.
# To pin by digest as well, build with --build-arg PYTHON_IMAGE=python:3.11.14-slim-bookworm@sha256:...
# Behind a TLS-intercepting proxy, pass its CA bundle as a build secret (used by pip, kept out of
# every layer):  --secret id=ca,src=/etc/ssl/certs/ca-certificates.crt

ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm
# The build stage's base: the same image, unless the runtime base has no pip (`make image` without
# registry access builds both from Debian packages, the build one with pip added).
ARG BUILD_IMAGE=${PYTHON_IMAGE}

FROM ${BUILD_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_ROOT_USER_ACTION=ignore
WORKDIR /src
COPY pyproject.toml requirements.lock README.md ./
COPY operator ./operator
RUN python -m venv --without-pip /opt/venv
RUN --mount=type=secret,id=ca if [ -f /run/secrets/ca ]; then export PIP_CERT=/run/secrets/ca; fi; python -m pip --python /opt/venv/bin/python install --constraint requirements.lock /src

FROM ${PYTHON_IMAGE}
# pip, setuptools and wheel of the base image are not needed to run the operator (a base without
# pip has none to remove)
RUN if python -c "import pip" 2>/dev/null; then python -m pip uninstall --yes --quiet pip setuptools wheel; fi
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
USER 65532:65532
WORKDIR /tmp
# /metrics, /healthz and /readyz
EXPOSE 8080
ENTRYPOINT ["registry-operator", "run"]
# The flags of `registry-operator run`; a Deployment's `args` replace these. Add --namespace NAME
# (repeatable) to watch only some namespaces, --config FILE for the operator config.
CMD ["--log-format=json", "--metrics-port=8080"]
