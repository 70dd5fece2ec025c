#!/usr/bin/env bash
# The project's one test command (README.md "Running the tests"; .ci/run calls it).
#
# On a fresh Debian/Ubuntu machine it installs everything itself: the registry tools the
# --verify tests use, a virtualenv with the package and its test extras, and the control plane
# (etcd + kube-apiserver, cached under ~/.cache). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'test.sh: %s\n' "$*" >&2; }

# System tools: a real registry (CNCF distribution), bcrypt htpasswd, and skopeo to push images.
missing=()
command -v docker-registry >/dev/null || missing+=(docker-registry)
command -v htpasswd >/dev/null || missing+=(apache2-utils)
command -v skopeo >/dev/null || missing+=(skopeo)
command -v kubectl >/dev/null || missing+=(kubernetes-client)  # kubectl 1.20: old, but it finds plugins
command -v objdump >/dev/null || missing+=(binutils)  # PyInstaller reads shared libraries with it
if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    log "installing ${missing[*]}"
    $SUDO apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  else
    log "missing ${missing[*]}: install them for the --verify tests"
  fi
fi

venv="${PULLSECRET_VENV:-.venv}"
if [ ! -x "$venv/bin/python" ]; then
  log "creating $venv"
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q --upgrade pip >&2
"$venv/bin/python" -m pip install -q -e ".[test]" >&2

KUBEBUILDER_ASSETS="$(tools/provision-control-plane.sh | tail -n 1)"
export KUBEBUILDER_ASSETS
log "control plane: $KUBEBUILDER_ASSETS"

# The e2e tests run `kubectl pullsecret`: the plugin must be on PATH, from this venv.
export PATH="$PWD/$venv/bin:$PATH"
exec "$venv/bin/python" -m pytest "$@"
