#!/usr/bin/env bash
# Makes a real kube-apiserver, kubectl and kine (etcd API on sqlite) available and prints their bin dir.
#
#   KUBE_BIN="$(bash scripts/ensure-kube-apiserver.sh | tail -n 1)"   # last line of stdout; progress goes to stderr
#
# Used by tests/e2e/kubernetes/dry-run.test.ts: `kubectl apply --dry-run=server --validate=strict` of every object
# the dev and prod stacks register, against the API server with the operators' CRDs applied.
#
# - kube-apiserver and kubectl are built from k8s.io/kubernetes in the wrapper module scripts/k8s (go.mod pins the
#   version and each staging module; go.sum is committed, so the build is reproducible and needs no go get).
# - kine is `go install`ed at $KINE_VERSION: Debian's etcd 3.4 is below what kube-apiserver accepts.
# - CGO_ENABLED=0 for all three (as Kubernetes releases its binaries): no C compiler needed, and kine then uses
#   its pure-Go sqlite driver (modernc.org/sqlite).
#
# Cache: ${DATA_PLATFORM_CACHE:-$HOME/.cache/data-platform}/kubernetes/<k8s version>/bin, reused when the stamp
# (versions + hash of the wrapper's go.mod/go.sum) matches; Go's build cache for these builds is
# kubernetes/go-build beside it (~1.5 GB). Modules go to the machine's usual GOMODCACHE.
# Writes the bin dir to $CACHE/kubernetes/current-bin as well.
set -euo pipefail

log() { printf 'ensure-kube-apiserver: %s\n' "$*" >&2; }
die() { printf 'ensure-kube-apiserver: error: %s\n' "$*" >&2; exit 1; }

KINE_VERSION=v0.17.5
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WRAPPER="$REPO/scripts/k8s"
CACHE="${DATA_PLATFORM_CACHE:-$HOME/.cache/data-platform}"

K8S_VERSION="$(awk '$1 == "require" && $2 == "k8s.io/kubernetes" { print $3 }' "$WRAPPER/go.mod")"
[[ "$K8S_VERSION" =~ ^v1\.([0-9]+)\.[0-9]+$ ]] || die "cannot read the k8s.io/kubernetes version from $WRAPPER/go.mod (expected 'require k8s.io/kubernetes v1.x.y')"
K8S_MINOR="${BASH_REMATCH[1]}"

ROOT="$CACHE/kubernetes/$K8S_VERSION"
BIN="$ROOT/bin"
mkdir -p "$BIN"
STAMP="k8s=$K8S_VERSION kine=$KINE_VERSION cgo=0 wrapper=$(cat "$WRAPPER/go.mod" "$WRAPPER/go.sum" | sha256sum | cut -c1-16)"

finish() {
  printf '%s\n' "$BIN" >"$CACHE/kubernetes/current-bin"
  log "ready: kube-apiserver $K8S_VERSION, kubectl, kine $KINE_VERSION in $BIN"
  printf '%s\n' "$BIN"
  exit 0
}

built() { [[ -x "$BIN/kube-apiserver" && -x "$BIN/kubectl" && -x "$BIN/kine" && "$(cat "$ROOT/stamp" 2>/dev/null)" == "$STAMP" ]]; }

if built; then
  log "cached ($STAMP)"
  finish
fi

# Two test runs on a fresh machine must not build into the same directory at once.
exec 9>"$CACHE/kubernetes/.lock"
flock 9
if built; then
  log "built by another run while waiting for the lock"
  finish
fi

command -v go >/dev/null || die "go is not on PATH: install Go (1.26+) to build kube-apiserver, kubectl and kine"
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}" GOCACHE="$CACHE/kubernetes/go-build" GOFLAGS="-buildvcs=false" CGO_ENABLED=0
total_start=$(date +%s)

# The version the binaries report (kubectl warns on skew; the server's /version is what clients negotiate with).
ver_flags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ver_flags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$K8S_MINOR -X $pkg.gitTreeState=clean"
done

log "downloading modules for k8s.io/kubernetes $K8S_VERSION (wrapper $WRAPPER)"
start=$(date +%s)
(cd "$WRAPPER" && go mod download) >&2 || die "go mod download in $WRAPPER failed (see above)"
log "modules ready in $(($(date +%s) - start)) s"

log "building kube-apiserver and kubectl $K8S_VERSION (nice -n 10, -p 2; a cold build takes many minutes on 2 cores)"
start=$(date +%s)
(cd "$WRAPPER" && nice -n 10 go build -p 2 -trimpath -ldflags "-s -w$ver_flags" -o "$BIN/.build/" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl) >&2 || die "go build of kube-apiserver/kubectl failed (see above)"
mv -f "$BIN/.build/kube-apiserver" "$BIN/.build/kubectl" "$BIN/"
log "built kube-apiserver and kubectl in $(($(date +%s) - start)) s"

log "building kine $KINE_VERSION (go install; pure-Go sqlite)"
start=$(date +%s)
GOBIN="$BIN/.build" nice -n 10 go install -p 2 -trimpath -ldflags "-s -w" "github.com/k3s-io/kine@$KINE_VERSION" >&2 ||
  die "go install github.com/k3s-io/kine@$KINE_VERSION failed (see above)"
mv -f "$BIN/.build/kine" "$BIN/"
rmdir "$BIN/.build" 2>/dev/null || true
log "built kine in $(($(date +%s) - start)) s"

printf '%s\n' "$STAMP" >"$ROOT/stamp"
log "total $(($(date +%s) - total_start)) s"
finish
