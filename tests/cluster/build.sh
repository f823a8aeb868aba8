#!/usr/bin/env bash
# Builds the test cluster's binaries from the Go module proxy into a cache outside
# the work tree. Idempotent: a second run with the same pins does nothing.
#
#   tests/cluster/build.sh            build (or reuse) and print the bin directory last
#   K8SNET_CLUSTER_CACHE=DIR ...      cache root (default ~/.cache/k8snet/cluster)
#
# The pins live in the go.mod files beside this script; the cache key is a hash of
# them, so changing a pin builds into a fresh directory.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KUBE_VERSION=v1.36.3
cache_root=${K8SNET_CLUSTER_CACHE:-$HOME/.cache/k8snet/cluster}
GLOBIGNORE="$here/gobuild/kube-router/*:$here/gobuild/kube-proxy-v*/*:$here/gobuild/istio/*:$here/gobuild/metallb/*"  # these have keys of their own (below)
key=$(cat "$here"/go.mod "$here"/go.sum "$here"/gobuild/*/go.mod "$here"/gobuild/*/go.sum \
      "$here"/gobuild/etcd/main.go | sha256sum | cut -c1-12)
unset GLOBIGNORE
bin="$cache_root/$KUBE_VERSION-$key/bin"
stamp="$bin/.complete"

log() { printf '[cluster-build %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

# kube-router: the NetworkPolicy enforcer of the policy tests (tests/cluster/test_policy_real.py),
# built into a directory keyed by its own pins and linked into $bin. Only ever run inside the
# harness's network namespaces (docs/test-cluster.md says why).
kr_dir="$cache_root/kube-router-$(cat "$here"/gobuild/kube-router/go.mod "$here"/gobuild/kube-router/go.sum \
  | sha256sum | cut -c1-12)"
build_kube_router() {
  if [[ ! -x $kr_dir/kube-router ]]; then
    command -v go >/dev/null || { log "Go is not installed: kube-router needs Go >= 1.26 to build"; exit 3; }
    mkdir -p "$kr_dir"
    log "building kube-router from github.com/cloudnativelabs/kube-router/v2/cmd/kube-router"
    local t0=$SECONDS
    (cd "$here/gobuild/kube-router" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" \
      -o "$kr_dir/kube-router.tmp" github.com/cloudnativelabs/kube-router/v2/cmd/kube-router)
    mv "$kr_dir/kube-router.tmp" "$kr_dir/kube-router"
    log "built kube-router in $((SECONDS - t0)) s"
  fi
  mkdir -p "$bin"
  ln -sfn "$kr_dir/kube-router" "$bin/kube-router"
}

# Istio's pilot-agent, for its istio-iptables subcommand (what a sidecar's istio-init container
# runs): the mesh tests run it in pod network namespaces (tests/cluster/harness/mesh.py). Keyed by
# its own pins and linked into $bin; the proxy itself (Envoy) is not built and cannot run here.
istio_dir="$cache_root/istio-$(cat "$here"/gobuild/istio/go.mod "$here"/gobuild/istio/go.sum \
  | sha256sum | cut -c1-12)"
# The directory of MODULE@VERSION in the Go module cache, downloaded from the proxy if missing.
module_dir() {
  local dir
  dir=$(cd "$here/gobuild/istio" && go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [[ -n $dir && -d $dir ]] || { log "cannot fetch $1 from the Go module proxy"; exit 3; }
  printf '%s\n' "$dir"
}
build_istio() {
  if [[ ! -x $istio_dir/pilot-agent ]]; then
    command -v go >/dev/null || { log "Go is not installed: Istio's pilot-agent needs Go >= 1.26 to build"; exit 3; }
    mkdir -p "$istio_dir"
    log "building pilot-agent (istio-iptables) from istio.io/istio/pilot/cmd/pilot-agent"
    local t0=$SECONDS
    (cd "$here/gobuild/istio" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" \
      -o "$istio_dir/pilot-agent.tmp" istio.io/istio/pilot/cmd/pilot-agent)
    mv "$istio_dir/pilot-agent.tmp" "$istio_dir/pilot-agent"
    log "built pilot-agent in $((SECONDS - t0)) s"
  fi
  # The mesh tests apply Istio's CRDs and Gateway API's HTTPRoute and GRPCRoute CRDs (the release
  # Istio's go.mod names). The build does not need Gateway API's module, so a cold module cache
  # lacks it: fetch it here and copy the CRDs beside the binary, as MetalLB's are.
  if [[ ! -f $istio_dir/crds/.complete ]]; then
    local pin src gw gwdir
    pin=$(awk '$1 == "require" && $2 == "istio.io/istio" { print $3; exit }' "$here/gobuild/istio/go.mod")
    src=$(module_dir "istio.io/istio@$pin")
    gw=$(awk '$1 == "sigs.k8s.io/gateway-api" { print $2; exit }' "$src/go.mod")
    gwdir=$(module_dir "sigs.k8s.io/gateway-api@$gw")
    rm -rf "$istio_dir/crds"
    mkdir -p "$istio_dir/crds"
    cp "$src/manifests/charts/base/files/crd-all.gen.yaml" "$istio_dir/crds/istio-crd-all.gen.yaml"
    cp "$gwdir"/config/crd/standard/gateway.networking.k8s.io_{httproutes,grpcroutes}.yaml "$istio_dir/crds/"
    chmod -R u+w,go-w "$istio_dir/crds"
    touch "$istio_dir/crds/.complete"
  fi
  mkdir -p "$bin"
  ln -sfn "$istio_dir/pilot-agent" "$bin/pilot-agent"
  ln -sfn "$istio_dir/crds" "$bin/mesh-crds"
}

# Older kube-proxy releases, one module each under gobuild/kube-proxy-<release> (v1.23: the
# KUBE-XLB layout before 1.24; v1.30), each built into a directory keyed by its own pins with
# its own version stamp and linked into $bin as kube-proxy-<release>; the harness runs them
# against the same API server (docs/test-cluster.md).
build_old_kube_proxies() {
  local dir rel version flags p out t0
  for dir in "$here"/gobuild/kube-proxy-v*/; do
    [[ -f $dir/go.mod ]] || continue
    dir=${dir%/}
    rel=${dir##*/kube-proxy-}
    out="$cache_root/kube-proxy-$rel-$(cat "$dir/go.mod" "$dir/go.sum" | sha256sum | cut -c1-12)"
    if [[ ! -x $out/kube-proxy ]]; then
      command -v go >/dev/null || { log "Go is not installed: kube-proxy $rel needs Go >= 1.26 to build"; exit 3; }
      version=$(awk '$1 == "require" && $2 == "k8s.io/kubernetes" {print $3}' "$dir/go.mod")
      flags="-s -w"
      for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        flags+=" -X $p.gitVersion=$version -X $p.gitMajor=1 -X $p.gitMinor=${rel#v1.}"
        flags+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
      done
      mkdir -p "$out"
      log "building kube-proxy $version from $dir"
      t0=$SECONDS
      (cd "$dir" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags="$flags" \
        -o "$out/kube-proxy.tmp" k8s.io/kubernetes/cmd/kube-proxy)
      mv "$out/kube-proxy.tmp" "$out/kube-proxy"
      log "built kube-proxy $version in $((SECONDS - t0)) s"
    fi
    mkdir -p "$bin"
    ln -sfn "$out/kube-proxy" "$bin/kube-proxy-$rel"
  done
}

# MetalLB: its controller and speaker (L2 mode) give the lab's LoadBalancer Services real
# addresses (tests/cluster/test_balancing_real.py), built into a directory keyed by its own pins
# and linked into $bin as metallb-controller and metallb-speaker. Its CRDs and its native
# manifest (the RBAC the harness applies) are copied from the module's own files in the Go
# module cache (the download the build already did) into metallb-manifests/.
mlb_dir="$cache_root/metallb-$(cat "$here"/gobuild/metallb/go.mod "$here"/gobuild/metallb/go.sum \
  | sha256sum | cut -c1-12)"
build_metallb() {
  if [[ ! -f $mlb_dir/.complete ]]; then
    command -v go >/dev/null || { log "Go is not installed: MetalLB needs Go >= 1.26 to build"; exit 3; }
    local t0=$SECONDS src
    mkdir -p "$mlb_dir"
    log "building MetalLB's controller and speaker from go.universe.tf/metallb"
    (cd "$here/gobuild/metallb" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" \
      -o "$mlb_dir/metallb-controller.tmp" go.universe.tf/metallb/controller \
      && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" \
      -o "$mlb_dir/metallb-speaker.tmp" go.universe.tf/metallb/speaker)
    src=$(cd "$here/gobuild/metallb" && GOFLAGS=-mod=mod go list -m -f '{{.Dir}}' go.universe.tf/metallb)
    rm -rf "$mlb_dir/manifests"
    mkdir -p "$mlb_dir/manifests/crd"
    cp "$src"/config/crd/bases/metallb.io_*.yaml "$mlb_dir/manifests/crd/"
    cp "$src/config/manifests/metallb-native.yaml" "$mlb_dir/manifests/"
    chmod -R u+w,go-w "$mlb_dir/manifests"
    mv "$mlb_dir/metallb-controller.tmp" "$mlb_dir/metallb-controller"
    mv "$mlb_dir/metallb-speaker.tmp" "$mlb_dir/metallb-speaker"
    touch "$mlb_dir/.complete"
    log "built MetalLB in $((SECONDS - t0)) s"
  fi
  mkdir -p "$bin"
  ln -sfn "$mlb_dir/metallb-controller" "$bin/metallb-controller"
  ln -sfn "$mlb_dir/metallb-speaker" "$bin/metallb-speaker"
  ln -sfn "$mlb_dir/manifests" "$bin/metallb-manifests"
}

if [[ -f $stamp ]]; then
  build_kube_router
  build_old_kube_proxies
  build_istio
  build_metallb
  log "cached: $bin"
  echo "$bin"
  exit 0
fi
command -v go >/dev/null || { log "Go is not installed: the test cluster needs Go >= 1.26 to build"; exit 3; }
mkdir -p "$bin"

export GOFLAGS=-mod=mod CGO_ENABLED=0
# Version stamps: without them the components call themselves v0.0.0 and some
# compatibility checks (and kubectl-style version output) look odd.
minor=${KUBE_VERSION#v1.}; minor=${minor%%.*}
vpkgs="k8s.io/component-base/version k8s.io/client-go/pkg/version"
ldflags="-s -w"
for p in $vpkgs; do
  ldflags+=" -X $p.gitVersion=$KUBE_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
  ldflags+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
done

build() { # build <module dir> <output name> <package>
  local dir=$1 out=$2 pkg=$3
  if [[ -x $bin/$out ]]; then log "have $out"; return; fi
  log "building $out from $pkg"
  local t0=$SECONDS
  (cd "$dir" && go build -trimpath -ldflags="$ldflags" -o "$bin/$out.tmp" "$pkg")
  mv "$bin/$out.tmp" "$bin/$out"
  log "built $out in $((SECONDS - t0)) s"
}

t_all=$SECONDS
build "$here" kube-apiserver          k8s.io/kubernetes/cmd/kube-apiserver
build "$here" kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager
build "$here" kube-scheduler          k8s.io/kubernetes/cmd/kube-scheduler
build "$here" kube-proxy              k8s.io/kubernetes/cmd/kube-proxy
build "$here/gobuild/etcd"    etcd    .
build "$here/gobuild/kwok"    kwok    sigs.k8s.io/kwok/cmd/kwok
build "$here/gobuild/coredns" coredns github.com/coredns/coredns
build_kube_router
build_old_kube_proxies
build_istio
build_metallb
touch "$stamp"
log "all binaries ready in $((SECONDS - t_all)) s: $bin"
echo "$bin"
