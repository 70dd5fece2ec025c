#!/usr/bin/env bash
# Prepare the current node's parts (issue 20), each at the release tools/current-node.env pins,
# all built here from the Go module proxy; nothing comes from a container registry:
#   - kube-apiserver, kube-controller-manager, kube-scheduler and kubelet: `go build` of the
#     k8s.io/kubernetes module through a wrapper module that replaces every k8s.io/* staging
#     module the tag requires at v0.0.0 with its published v0.X.Y, stamped with the version;
#   - containerd, its runc shim and ctr; runc (cgo, with libseccomp, as the pod sandbox's
#     RuntimeDefault seccomp profile needs); etcd (its server module, through a wrapper too);
#   - pause, from pause.c of the same Kubernetes module, compiled statically.
#
# Each part is cached in its own folder under ${XDG_CACHE_HOME:-~/.cache}/kubectl-pullsecret/,
# so a new pin rebuilds only that part. The last line of stdout is a folder of links to every
# binary; everything else goes to stderr. The facts behind each step: ../shared/docs
# current-node.md (outside this repository) and README.md "Development".
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=current-node.env
. "$here/current-node.env"

cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-pullsecret"
k8s_dir="$cache_root/kubernetes-$KUBERNETES_VERSION"
containerd_dir="$cache_root/containerd-$CONTAINERD_VERSION"
runc_dir="$cache_root/runc-$RUNC_VERSION"
etcd_dir="$cache_root/etcd-$ETCD_VERSION"
assets="$cache_root/current-node"
k8s_binaries=(kube-apiserver kube-controller-manager kube-scheduler kubelet pause)

log() { printf 'provision-current-node: %s\n' "$*" >&2; }
die() { printf 'provision-current-node: error: %s\n' "$*" >&2; exit 1; }
has_all() {
  local dir=$1 b
  shift
  for b in "$@"; do [ -x "$dir/$b" ] || return 1; done
}

command -v go >/dev/null || die "Go 1.26 or newer is needed (https://go.dev/dl/); none is on PATH"
# The wrapper modules declare the tags' own `go` lines; the local toolchain builds them all.
export GOTOOLCHAIN=local GOWORK=off GOFLAGS=-mod=mod
# Builds are cached outside the repository, next to the binaries.
export GOPATH="${GOPATH:-$HOME/go}"

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if command -v apt-get >/dev/null; then
  missing=()
  for pkg in gcc libc6-dev pkg-config libseccomp-dev; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing runc's build dependencies: ${missing[*]}"
    $SUDO apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  fi
fi

mkdir -p "$cache_root"
# Two test runs at once must not both spend minutes building: the second waits.
exec 9>"$cache_root/.provision-current-node.lock"
flock 9

work=$(mktemp -d "${TMPDIR:-/tmp}/current-node.XXXXXX")
trap 'rm -rf "$work"' EXIT

# One rename per binary: a test run using the cache meanwhile never sees a half-written file.
install_into() {
  local dest=$1 b
  shift
  mkdir -p "$dest"
  for b in "$@"; do
    [ -x "$work/out/$b" ] || die "the build did not produce $b"
    mv -f "$work/out/$b" "$dest/$b"
  done
}

json_field() { sed -n "s/.*\"$1\": \"\\(.*\\)\".*/\\1/p" | head -n 1; }
module_dir() { go mod download -json "$1" | json_field Dir; }

build_kubernetes() {
  local minor=${KUBERNETES_VERSION#v1.}
  minor=${minor%%.*}
  local staging="v0.${KUBERNETES_VERSION#v1.}" upstream info commit date ldflags m p
  log "building Kubernetes $KUBERNETES_VERSION from the Go module proxy (20-30 minutes on 2 cores, once)"
  mkdir -p "$work/k8s" && cd "$work/k8s"
  go mod init local/kubectl-pullsecret-node >&2 2>/dev/null
  info=$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION")
  upstream=$(printf '%s\n' "$info" | json_field GoMod)
  [ -r "$upstream" ] || die "no go.mod for k8s.io/kubernetes@$KUBERNETES_VERSION from the proxy"
  # The tag's own go and godebug lines, so that runtime defaults match the release.
  go mod edit -go="$(awk '$1=="go"{print $2; exit}' "$upstream")"
  p=$(awk '$1=="godebug"{print $2; exit}' "$upstream")
  [ -z "$p" ] || go mod edit -godebug="$p"
  # Every staging module the tag requires at v0.0.0 (its replace points into its own tree,
  # which a dependent module never sees) comes from its published v0.X.Y instead.
  for m in $(awk '$1 ~ /^k8s\.io\// && $2=="v0.0.0" {print $1}' "$upstream" | sort -u); do
    go mod edit -replace="$m=$m@$staging"
  done
  go mod edit -require="k8s.io/kubernetes@$KUBERNETES_VERSION"
  for c in kubelet kube-apiserver kube-controller-manager kube-scheduler; do
    go mod edit -tool="k8s.io/kubernetes/cmd/$c"
  done
  go mod tidy >&2
  # Without the stamp every binary says v0.0.0-master+$Format:%H$ (module zips do not
  # apply git's export-subst): the node would report no version the plugin can read.
  commit=$(printf '%s\n' "$info" | json_field Hash)
  date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  ldflags="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $p.gitVersion=$KUBERNETES_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
    ldflags+=" -X $p.gitTreeState=clean -X $p.buildDate=$date"
    [ -z "$commit" ] || ldflags+=" -X $p.gitCommit=$commit"
  done
  # One invocation: the four share most packages, and so the compile cache. No cgo is
  # needed before 1.38 either (the kubelet's cgo users are optional).
  CGO_ENABLED=0 go build -trimpath -ldflags="$ldflags" -o "$work/out/" \
    k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler >&2
  # The sandbox image's only binary, as build/pause/Makefile builds it.
  gcc -Os -Wall -Werror -static -DVERSION="$KUBERNETES_VERSION-kubectl-pullsecret" \
    -o "$work/out/pause" "$(module_dir "k8s.io/kubernetes@$KUBERNETES_VERSION")/build/pause/linux/pause.c" >&2
  "$work/out/kubelet" --version | grep -qx "Kubernetes $KUBERNETES_VERSION" \
    || die "the kubelet does not report $KUBERNETES_VERSION: $("$work/out/kubelet" --version)"
  install_into "$k8s_dir" "${k8s_binaries[@]}"
  cd "$here"
}

build_containerd() {
  local pkg=github.com/containerd/containerd/v2 c
  log "building containerd $CONTAINERD_VERSION"
  for c in containerd containerd-shim-runc-v2 ctr; do
    # go install: containerd's go.mod has no replace directive. Stamped as its Makefile does.
    CGO_ENABLED=0 GOBIN="$work/out" go install -trimpath \
      -ldflags="-s -w -X $pkg/version.Version=${CONTAINERD_VERSION#v} -X $pkg/version.Package=$pkg" \
      "$pkg/cmd/$c@$CONTAINERD_VERSION" >&2
  done
  install_into "$containerd_dir" containerd containerd-shim-runc-v2 ctr
}

build_runc() {
  log "building runc $RUNC_VERSION"
  # runc's default tags without libpathrs (a Rust library; runc falls back to its Go code).
  CGO_ENABLED=1 GOBIN="$work/out" go install -trimpath -tags "seccomp urfave_cli_no_docs" \
    -ldflags="-s -w" "github.com/opencontainers/runc@$RUNC_VERSION" >&2
  "$work/out/runc" --version | grep -q "^libseccomp: " || die "runc was built without seccomp"
  install_into "$runc_dir" runc
}

build_etcd() {
  log "building etcd $ETCD_VERSION"
  # The server module points at its siblings with relative replaces, which a dependent
  # module ignores: its requirements name their published versions.
  mkdir -p "$work/etcd" && cd "$work/etcd"
  go mod init local/kubectl-pullsecret-etcd >&2 2>/dev/null
  go mod edit -require="go.etcd.io/etcd/server/v3@$ETCD_VERSION"
  go mod edit -tool=go.etcd.io/etcd/server/v3
  go mod tidy >&2
  CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o "$work/out/etcd" go.etcd.io/etcd/server/v3 >&2
  install_into "$etcd_dir" etcd
  cd "$here"
}

has_all "$k8s_dir" "${k8s_binaries[@]}" || build_kubernetes
has_all "$containerd_dir" containerd containerd-shim-runc-v2 ctr || build_containerd
has_all "$runc_dir" runc || build_runc
has_all "$etcd_dir" etcd || build_etcd

# One folder for the tests: links to this pin's binaries, each replaced by a rename.
mkdir -p "$assets"
link() {
  ln -sfn "$1/$2" "$assets/.$2.new"
  mv -T "$assets/.$2.new" "$assets/$2"
}
for b in "${k8s_binaries[@]}"; do link "$k8s_dir" "$b"; done
for b in containerd containerd-shim-runc-v2 ctr; do link "$containerd_dir" "$b"; done
link "$runc_dir" runc
link "$etcd_dir" etcd
log "binaries ready in $assets (${SECONDS} s)"
echo "$assets"
