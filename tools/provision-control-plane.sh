#!/usr/bin/env bash
# Prepare etcd and kube-apiserver for the end-to-end tests (the envtest convention).
#
# Prints the folder that holds both binaries on its last line of stdout; everything else goes
# to stderr. Order of preference:
#   1. $KUBEBUILDER_ASSETS, when it holds kube-apiserver and etcd (setup-envtest on a laptop);
#   2. the cache under ${XDG_CACHE_HOME:-~/.cache}/kubectl-pullsecret/, from an earlier run;
#   3. on Debian (bookworm has it; derivatives whose archive carries the same source package
#      work too): etcd from the distribution, kube-apiserver built from the `kubernetes`
#      source package (no download outside the distribution's mirrors).
set -euo pipefail

K8S_SRC_VERSION=1.20.2
cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-pullsecret"
assets="$cache_root/control-plane-$K8S_SRC_VERSION"

log() { printf 'provision: %s\n' "$*" >&2; }
die() { printf 'provision: error: %s\n' "$*" >&2; exit 1; }

has_assets() { [ -x "$1/kube-apiserver" ] && [ -x "$1/etcd" ]; }

if [ -n "${KUBEBUILDER_ASSETS:-}" ]; then
  has_assets "$KUBEBUILDER_ASSETS" \
    || die "KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS lacks an executable kube-apiserver and etcd (run: setup-envtest use -p path)"
  echo "$KUBEBUILDER_ASSETS"
  exit 0
fi

if has_assets "$assets"; then
  echo "$assets"
  exit 0
fi

# Two test runs at once must not both spend five minutes building: the second waits.
mkdir -p "$cache_root"
if command -v flock >/dev/null; then
  exec 9>"$cache_root/.provision.lock"
  flock 9
  if has_assets "$assets"; then
    echo "$assets"
    exit 0
  fi
fi

if ! command -v apt-get >/dev/null || ! [ -r /etc/debian_version ]; then
  die "no control plane found. Install etcd and kube-apiserver with setup-envtest
(go install sigs.k8s.io/controller-runtime/tools/setup-envtest@latest && setup-envtest use -p path)
and export KUBEBUILDER_ASSETS=<that folder>."
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || die "building kube-apiserver needs apt-get as root; run as root or install sudo"
  SUDO="sudo"
fi

# Stock images ship only 'deb' entries; apt-get source needs their deb-src twins. Add them
# unless the distribution's own source index is there already (another deb-src entry, for
# an unrelated repository, does not count).
add_deb_src() {
  local deb822 twin=/etc/apt/sources.list.d/kubectl-pullsecret-deb-src
  for deb822 in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list.d/ubuntu.sources; do
    if [ -r "$deb822" ]; then
      sed 's/^Types: deb$/Types: deb-src/' "$deb822" | $SUDO tee "$twin.sources" >/dev/null
      return 0
    fi
  done
  if grep -qs '^deb ' /etc/apt/sources.list; then
    sed -n 's/^deb /deb-src /p' /etc/apt/sources.list | $SUDO tee "$twin.list" >/dev/null
    return 0
  fi
  die "no apt sources to copy deb-src entries from; add deb-src lines for your distribution"
}
if ! apt-cache showsrc kubernetes 2>/dev/null | grep -q '^Package: kubernetes'; then
  log "adding deb-src entries"
  add_deb_src
fi

log "installing build dependencies from the distribution"
$SUDO apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
  golang-1.19-go rsync make dpkg-dev etcd-server \
  golang-github-modern-go-reflect2-dev golang-github-json-iterator-go-dev >&2

work=$(mktemp -d "${TMPDIR:-/tmp}/k8s-src.XXXXXX")
trap 'rm -rf "$work" "$assets.tmp"' EXIT
log "fetching Debian's kubernetes source package into $work"
(cd "$work" && apt-get source --download-only kubernetes >&2 && dpkg-source -x --no-check ./*.dsc src >&2)
src="$work/src"

# Go 1.19 + the vendored reflect2 crash kube-apiserver with SIGSEGV; Debian's copies are fixed.
for mod in github.com/modern-go/reflect2 github.com/json-iterator/go; do
  [ -d "/usr/share/gocode/src/$mod" ] || die "missing /usr/share/gocode/src/$mod"
  rm -rf "$src/vendor/$mod"
  cp -r "/usr/share/gocode/src/$mod" "$src/vendor/$mod"
done

log "building kube-apiserver (about 4 minutes on 2 cores)"
(cd "$src" && PATH="/usr/lib/go-1.19/bin:$PATH" GOFLAGS=-mod=vendor CGO_ENABLED=0 \
  make WHAT="cmd/kube-apiserver" >&2)

# Debian names architectures differently from Go's output folders.
case "$(dpkg --print-architecture)" in
  armhf) goarch=arm ;; i386) goarch=386 ;; ppc64el) goarch=ppc64le ;; *) goarch=$(dpkg --print-architecture) ;;
esac
mkdir -p "$assets.tmp"
cp "$src/_output/local/bin/linux/$goarch/kube-apiserver" "$assets.tmp/"
cp "$(command -v etcd || echo /usr/bin/etcd)" "$assets.tmp/etcd"
rm -rf "$assets"
mv "$assets.tmp" "$assets"
log "control plane ready in $assets"
echo "$assets"
