#!/usr/bin/env bash
# The project's one test command (README.md "Development"; .ci/run calls it).
#
# On a fresh Debian/Ubuntu machine it installs everything itself: the registry tools the
# --verify tests use, a virtualenv with the package and its test extras, the control plane and
# the 1.20 node (built from Debian's kubernetes source), and the current node (built from the
# Go module proxy), all cached under ~/.cache. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/dev-env.sh

# A real registry (CNCF distribution), bcrypt htpasswd and skopeo for --verify; objdump for
# PyInstaller; kubectl 1.20 from Debian where no kubectl is installed (old, but finds plugins).
ensure_commands docker-registry=docker-registry htpasswd=apache2-utils skopeo=skopeo \
  objdump=binutils kubectl=kubernetes-client
ensure_venv
ensure_control_plane
ensure_current_node
exec "$venv/bin/python" -m pytest "$@"
