#!/usr/bin/env bash
# `make image`: the operator image, built from the Dockerfile with podman.
#
# The base is the Dockerfile's default, the public python:3.11.14-slim-bookworm, or PYTHON_IMAGE if
# set. Where no registry can be reached, a base with the same Python (3.11, Debian bookworm) is made
# from Debian packages once (mmdebstrap, then podman import) and used instead: one for the runtime
# stage and, with pip added, one for the build stage.
#
# pip in the build reaches PyPI through the machine's CA bundle when there is one (behind a
# TLS-intercepting proxy nothing else works): it is a build secret, never stored in a layer.
set -euo pipefail
cd "$(dirname "$0")/../.."

IMAGE=${1:-sagemaker-registry-operator:0.1.0}
PUBLIC_BASE=docker.io/library/python:3.11.14-slim-bookworm
DEBIAN_BASE=localhost/registry-operator-python:3.11-bookworm
DEBIAN_BUILD_BASE=localhost/registry-operator-python:3.11-bookworm-pip
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
CA_BUNDLE=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
PULL_TIMEOUT=${PULL_TIMEOUT:-90}
export CONTAINERS_CONF=${CONTAINERS_CONF:-$PWD/tools/image/containers.conf}

say() { echo "==> $*" >&2; }

# A root filesystem of Debian bookworm packages as an image: slim like the python images (no docs,
# man pages or locales; copyright files kept).
debian_image() {
  local tag=$1; shift
  local packages; packages=$(IFS=,; echo "$*")
  say "making $tag from Debian bookworm packages: $packages"
  mmdebstrap --variant=essential --include="$packages" \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    bookworm - "$DEBIAN_MIRROR" |
    podman import \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'ENV LANG=C.UTF-8' \
      --change 'CMD ["python3"]' \
      - "$tag" >/dev/null
}

build_args=()
if [ -n "${PYTHON_IMAGE:-}" ]; then
  build_args+=(--build-arg "PYTHON_IMAGE=$PYTHON_IMAGE")
elif podman image exists "$PUBLIC_BASE" || timeout "$PULL_TIMEOUT" podman pull --quiet "$PUBLIC_BASE" >/dev/null; then
  build_args+=(--build-arg "PYTHON_IMAGE=$PUBLIC_BASE")
else
  say "$PUBLIC_BASE cannot be pulled; using a base made from Debian packages"
  podman image exists "$DEBIAN_BASE" || debian_image "$DEBIAN_BASE" python3.11 python-is-python3
  podman image exists "$DEBIAN_BUILD_BASE" ||
    debian_image "$DEBIAN_BUILD_BASE" python3.11 python-is-python3 python3-pip
  build_args+=(--build-arg "PYTHON_IMAGE=$DEBIAN_BASE" --build-arg "BUILD_IMAGE=$DEBIAN_BUILD_BASE")
fi
[ -f "$CA_BUNDLE" ] && build_args+=(--secret "id=ca,src=$CA_BUNDLE")

say "podman build -t $IMAGE ${build_args[*]} ."
# Host network for the build's RUN steps: no bridge networking needed on the build host.
podman build --network=host --tag "$IMAGE" "${build_args[@]}" .
podman image inspect "$IMAGE" --format '{{.Id}} {{.Size}} bytes, user {{.Config.User}}'
