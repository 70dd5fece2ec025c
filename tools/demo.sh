#!/usr/bin/env bash
# The one-command demo (README.md "Demo"): installs what it needs on a fresh Debian/Ubuntu
# machine, starts a throw-away control plane, builds a broken shop and diagnoses it with
# `kubectl pullsecret diagnose pod -A`, then stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/dev-env.sh

ensure_commands kubectl=kubernetes-client
ensure_venv
ensure_control_plane
exec "$venv/bin/python" tools/demo.py "$@"
