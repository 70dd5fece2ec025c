#!/usr/bin/env bash
# Prepare the real parts the end-to-end and node tests run: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler and the kubelet (one Kubernetes source tree), the
# pause binary, and the node's runtime (containerd, runc, CNI plugins) from the distribution.
#
# Prints the folder that holds the binaries on its last line of stdout; everything else goes
# to stderr. Order of preference:
#   1. $KUBEBUILDER_ASSETS, when it holds kube-apiserver and etcd (setup-envtest on a laptop):
#      the control-plane tests run, the node tests need the full build below;
#   2. the cache under ${XDG_CACHE_HOME:-~/.cache}/kubectl-pullsecret/, from an earlier run;
#   3. on Debian (bookworm has it; derivatives whose archive carries the same source package
#      work too): etcd, containerd, runc and the CNI plugins from the distribution, the
#      Kubernetes binaries built from the `kubernetes` source package, and pause.c from the
#      same tree compiled statically. Nothing is fetched from any container registry.
set -euo pipefail

K8S_SRC_VERSION=1.20.2
cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-pullsecret"
assets="$cache_root/kubernetes-$K8S_SRC_VERSION"
binaries=(kube-apiserver kube-controller-manager kube-scheduler kubelet etcd pause)
# The ones built from the Kubernetes tree with `make WHAT=cmd/NAME`.
k8s_commands=(kube-apiserver kube-controller-manager kube-scheduler kubelet)
# The node's runtime and the app image's shell; iproute2 and util-linux make its namespace.
node_packages=(containerd runc containernetworking-plugins busybox-static iproute2 util-linux)

log() { printf 'provision: %s\n' "$*" >&2; }
die() { printf 'provision: error: %s\n' "$*" >&2; exit 1; }

# The binaries the cache lacks (a cache from an older version of this script lacks some):
# only those are built, and the ones present stay in place for test runs using them now.
missing_binaries() {
  local b
  for b in "${binaries[@]}"; do [ -x "$1/$b" ] || printf '%s\n' "$b"; done
}
has_all() { [ -z "$(missing_binaries "$1")" ]; }
is_k8s_command() {
  local c
  for c in "${k8s_commands[@]}"; do [ "$c" = "$1" ] || continue; return 0; done
  return 1
}

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
apt_install() {
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >&2
}
apt_updated=""
apt_update_once() {
  [ -n "$apt_updated" ] || { $SUDO apt-get update -qq >&2; apt_updated=1; }
}

if [ -n "${KUBEBUILDER_ASSETS:-}" ]; then
  [ -x "$KUBEBUILDER_ASSETS/kube-apiserver" ] && [ -x "$KUBEBUILDER_ASSETS/etcd" ] \
    || die "KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS lacks an executable kube-apiserver and etcd (run: setup-envtest use -p path)"
  echo "$KUBEBUILDER_ASSETS"
  exit 0
fi

on_debian() { command -v apt-get >/dev/null && [ -r /etc/debian_version ]; }

# The runtime comes from the distribution on every run: a cached build does not install it.
if on_debian; then
  missing=()
  for pkg in "${node_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    [ -z "$SUDO" ] || command -v sudo >/dev/null || die "installing ${missing[*]} needs root or sudo"
    log "installing the node's runtime: ${missing[*]}"
    apt_update_once
    apt_install "${missing[@]}"
  fi
fi

if has_all "$assets"; then
  echo "$assets"
  exit 0
fi

# Two test runs at once must not both spend minutes building: the second waits.
mkdir -p "$cache_root"
if command -v flock >/dev/null; then
  exec 9>"$cache_root/.provision.lock"
  flock 9
  if has_all "$assets"; then
    echo "$assets"
    exit 0
  fi
fi

if ! on_debian; then
  die "no Kubernetes binaries found. For the control-plane tests, install etcd and kube-apiserver
with setup-envtest (go install sigs.k8s.io/controller-runtime/tools/setup-envtest@latest &&
setup-envtest use -p path) and export KUBEBUILDER_ASSETS=<that folder>. The node tests need
Debian or Ubuntu (they build the kubelet from the distribution's source package)."
fi
[ -z "$SUDO" ] || command -v sudo >/dev/null || die "building needs apt-get as root; run as root or install sudo"

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
  apt_updated=""
fi

mapfile -t wanted < <(missing_binaries "$assets")
what=()
for b in "${wanted[@]}"; do
  if is_k8s_command "$b"; then what+=("cmd/$b"); fi
done
log "building ${wanted[*]}"

log "installing build dependencies from the distribution"
apt_update_once
apt_install golang-1.19-go rsync make dpkg-dev gcc libc6-dev etcd-server \
  golang-github-modern-go-reflect2-dev golang-github-json-iterator-go-dev

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

rm -rf "$assets.tmp"
mkdir -p "$assets.tmp"
if [ ${#what[@]} -gt 0 ]; then
  log "building ${what[*]} (about 10 minutes on 2 cores for all four, once)"
  (cd "$src" && PATH="/usr/lib/go-1.19/bin:$PATH" GOFLAGS=-mod=vendor CGO_ENABLED=0 \
    make WHAT="${what[*]}" >&2)
  # Debian names architectures differently from Go's output folders.
  case "$(dpkg --print-architecture)" in
    armhf) goarch=arm ;; i386) goarch=386 ;; ppc64el) goarch=ppc64le ;; *) goarch=$(dpkg --print-architecture) ;;
  esac
  for c in "${what[@]}"; do
    cp "$src/_output/local/bin/linux/$goarch/${c#cmd/}" "$assets.tmp/"
  done
fi
for b in "${wanted[@]}"; do
  case "$b" in
    etcd) cp "$(command -v etcd || echo /usr/bin/etcd)" "$assets.tmp/etcd" ;;
    # The sandbox image's only binary, as build/pause/Makefile builds it (static, no registry).
    pause)
      gcc -Os -Wall -Werror -static -DVERSION="v$K8S_SRC_VERSION-kubectl-pullsecret" \
        -o "$assets.tmp/pause" "$src/build/pause/linux/pause.c" >&2 2>/dev/null \
        || gcc -Os -static -DVERSION="v$K8S_SRC_VERSION-kubectl-pullsecret" \
          -o "$assets.tmp/pause" "$src/build/pause/linux/pause.c" >&2
      ;;
  esac
done
# One rename per binary: a test run using the cache meanwhile never sees a half-written file.
mkdir -p "$assets"
for b in "${wanted[@]}"; do
  [ -x "$assets.tmp/$b" ] || die "the build did not produce $b"
  mv -f "$assets.tmp/$b" "$assets/$b"
done
log "binaries ready in $assets (${SECONDS} s)"
echo "$assets"
