#!/usr/bin/env bash
# Install the Debian packages ember needs to build, test and benchmark, plus any extra
# package names given as arguments (e.g. `scripts/setup-deps.sh npm`).
# Installs only what is missing, so it is fast and needs no privileges when
# everything is already there.
set -euo pipefail

packages=(g++ cmake make libeigen3-dev catch2 libstb-dev libbenchmark-dev zlib1g-dev libcli11-dev pkg-config curl ca-certificates "$@")

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -eq 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "setup-deps: missing packages (${missing[*]}); run as root or with passwordless sudo to install them" >&2
  exit 1
fi

echo "setup-deps: installing ${missing[*]}"
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
