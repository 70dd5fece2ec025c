#!/usr/bin/env bash
# The one-command demo (README.md "Demo"): installs what it needs on a fresh Debian/Ubuntu
# machine, starts a throw-away real node (kubelet + containerd, in a network namespace of its
# own), builds a broken shop, diagnoses it with `kubectl pullsecret diagnose pod -A`, applies
# the fixes it prints, then stops everything it started. Needs root (namespaces, mounts).
#   tools/demo.sh               kubelet 1.20.2 on containerd 1.6
#   tools/demo.sh --node 1.37   the current release on containerd 2 (tools/current-node.env)
# tools/demo.py provisions the node it is asked for (built once, cached).
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/dev-env.sh

ensure_commands kubectl=kubernetes-client docker-registry=docker-registry \
  htpasswd=apache2-utils skopeo=skopeo
ensure_venv
exec "$venv/bin/python" tools/demo.py "$@"
