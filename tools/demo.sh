#!/usr/bin/env bash
# The one-command demo (README.md "Demo"): installs what it needs on a fresh Debian/Ubuntu
# machine, starts a throw-away real node (kubelet + containerd, in a network namespace of its
# own), builds a broken shop, diagnoses it with `kubectl pullsecret diagnose pod -A`, applies
# the fixes it prints, then stops everything it started. Needs root (namespaces, mounts).
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/dev-env.sh

ensure_commands kubectl=kubernetes-client docker-registry=docker-registry \
  htpasswd=apache2-utils skopeo=skopeo
ensure_venv
ensure_control_plane
exec "$venv/bin/python" tools/demo.py "$@"
