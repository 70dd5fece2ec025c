# Sourced by tools/test.sh and tools/demo.sh: everything a fresh Debian/Ubuntu machine needs,
# installed by the project itself. Defines `venv` and exports PATH and KUBEBUILDER_ASSETS.

log() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; }

# Debian packages for the given commands (command=package pairs), installed when missing.
ensure_commands() {
  local pair missing=()
  for pair in "$@"; do
    command -v "${pair%%=*}" >/dev/null || missing+=("${pair#*=}")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  if ! command -v apt-get >/dev/null; then
    log "missing ${missing[*]}: install them"
    return 0
  fi
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  log "installing ${missing[*]}"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# A virtualenv with the package (editable) and the test extras.
ensure_venv() {
  venv="${PULLSECRET_VENV:-.venv}"
  if [ ! -x "$venv/bin/python" ]; then
    log "creating $venv"
    python3 -m venv "$venv"
  fi
  "$venv/bin/python" -m pip install -q --upgrade pip >&2
  "$venv/bin/python" -m pip install -q -e ".[test]" >&2
  # kubectl finds the plugin on PATH, as it does for users.
  export PATH="$PWD/$venv/bin:$PATH"
}

# The Kubernetes binaries and the node's runtime (built once, cached under ~/.cache).
ensure_control_plane() {
  KUBEBUILDER_ASSETS="$(tools/provision.sh | tail -n 1)"
  export KUBEBUILDER_ASSETS
  log "control plane: $KUBEBUILDER_ASSETS"
}

# The current node's binaries: Kubernetes, containerd, runc and etcd of the release
# tools/current-node.env pins, built from the Go module proxy once and cached under ~/.cache.
ensure_current_node() {
  PULLSECRET_CURRENT_NODE_ASSETS="$(tools/provision-current-node.sh | tail -n 1)"
  export PULLSECRET_CURRENT_NODE_ASSETS
  log "current node: $PULLSECRET_CURRENT_NODE_ASSETS"
}
