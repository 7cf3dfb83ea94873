#!/usr/bin/env bash
# Install the pinned kustomize into var/bin/kustomize (idempotent), for tests/deploy and for rendering overlays.
#
#   deploy/k8s/install-kustomize.sh          # installs if var/bin/kustomize is missing or another version
#   KUSTOMIZE_VERSION=v5.7.1 deploy/k8s/...  # override the pin (then update the pin below)
#
# Built from source with the Go toolchain through the Go module proxy (no GitHub release download needed):
# `go install sigs.k8s.io/kustomize/kustomize/v5@<version>`. Takes about 30 s with an empty module cache.
set -euo pipefail

KUSTOMIZE_VERSION="${KUSTOMIZE_VERSION:-v5.7.1}"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BIN_DIR="$ROOT/var/bin"
KUSTOMIZE="$BIN_DIR/kustomize"

installed_version() {
    # `kustomize version` prints e.g. "v5.7.1".
    "$KUSTOMIZE" version 2>/dev/null | head -n1 | tr -d '[:space:]'
}

if [[ -x "$KUSTOMIZE" && "$(installed_version)" == "$KUSTOMIZE_VERSION" ]]; then
    echo "kustomize: $KUSTOMIZE_VERSION already installed at $KUSTOMIZE"
    exit 0
fi

if ! command -v go >/dev/null 2>&1; then
    echo "kustomize: the Go toolchain (go) is needed to install kustomize $KUSTOMIZE_VERSION" >&2
    exit 1
fi

mkdir -p "$BIN_DIR"
echo "kustomize: installing $KUSTOMIZE_VERSION into $BIN_DIR (go install)"
# GOFLAGS=-mod=mod: ignore any go.work/vendor settings of the caller; CGO off gives a static binary.
GOBIN="$BIN_DIR" CGO_ENABLED=0 GOFLAGS=-mod=mod go install "sigs.k8s.io/kustomize/kustomize/v5@${KUSTOMIZE_VERSION}"

if [[ "$(installed_version)" != "$KUSTOMIZE_VERSION" ]]; then
    echo "kustomize: installed binary reports '$(installed_version)', expected $KUSTOMIZE_VERSION" >&2
    exit 1
fi
echo "kustomize: $("$KUSTOMIZE" version) at $KUSTOMIZE"
