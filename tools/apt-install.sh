#!/usr/bin/env bash
# Install the named Debian packages that are not installed yet (the Argo CD tier needs redis-server
# and git, the image build podman, runc and mmdebstrap, the alert rule tests prometheus). CI starts from a clean machine as root;
# elsewhere sudo is used when available.
set -euo pipefail
missing=()
for pkg in "$@"; do
  if [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" != "install ok installed" ]; then
    missing+=("$pkg")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "missing system packages ${missing[*]}; install them with your package manager" >&2
  exit 1
fi
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
echo "installing ${missing[*]}"
"${sudo[@]}" apt-get update -q
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
