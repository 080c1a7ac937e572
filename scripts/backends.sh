#!/usr/bin/env bash
# Test backends for the DynamoDB suite (see tests/backends.py).
#
#   scripts/backends.sh install   create .backends/ministack-venv with the pinned MiniStack
#                                 (its own venv: it pins its own botocore) and make sure
#                                 moto's server mode (flask, flask-cors) imports in the
#                                 current Python, and that headless Chromium (Debian's
#                                 `chromium`, for tests/test_html_browser.py) is installed:
#                                 with apt-get, as root only (CI); another user without it
#                                 gets a message, and that test is skipped. Idempotent.
#   scripts/backends.sh check     print what is installed, exit non-zero if something is missing
#
# Environment: PYTHON (default python3) is the project's interpreter; MINISTACK_VERSION
# overrides the pin (keep it in sync with tests/backends.py).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
MINISTACK_VERSION="${MINISTACK_VERSION:-1.5.33}"
BACKENDS_DIR="$ROOT/.backends"
VENV="$BACKENDS_DIR/ministack-venv"
PIP_FLAGS=(--quiet --disable-pip-version-check)

log() { printf '[backends] %s\n' "$*" >&2; }

ministack_installed_version() {
    [[ -x "$VENV/bin/python" ]] || return 1
    "$VENV/bin/python" -c \
        'from importlib.metadata import version; print(version("ministack"))' 2>/dev/null
}

moto_server_importable() {
    "$PYTHON" -c 'import flask, flask_cors, moto.server' >/dev/null 2>&1
}

install_ministack() {
    local have
    have="$(ministack_installed_version || true)"
    if [[ "$have" == "$MINISTACK_VERSION" ]]; then
        log "ministack $MINISTACK_VERSION already in $VENV"
        return 0
    fi
    if [[ ! -x "$VENV/bin/python" ]]; then
        log "creating $VENV"
        mkdir -p "$BACKENDS_DIR"
        "$PYTHON" -m venv "$VENV"
    fi
    log "installing ministack==$MINISTACK_VERSION into $VENV (found: ${have:-none})"
    "$VENV/bin/python" -m pip install "${PIP_FLAGS[@]}" "ministack==$MINISTACK_VERSION"
    have="$(ministack_installed_version || true)"
    if [[ "$have" != "$MINISTACK_VERSION" ]]; then
        log "ministack install failed (found: ${have:-none})"
        return 1
    fi
}

install_moto_server() {
    if moto_server_importable; then
        log "moto server mode importable in $PYTHON"
        return 0
    fi
    local moto_version
    moto_version="$("$PYTHON" -c \
        'from importlib.metadata import version; print(version("moto"))' 2>/dev/null || true)"
    log "installing moto[server]${moto_version:+==$moto_version} into $PYTHON"
    "$PYTHON" -m pip install "${PIP_FLAGS[@]}" "moto[server]${moto_version:+==$moto_version}"
    moto_server_importable || { log "moto server mode still not importable"; return 1; }
}

chromium_installed() {
    command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1
}

install_chromium() {
    if chromium_installed; then
        log "chromium already installed"
        return 0
    fi
    if [[ "$(id -u)" != 0 ]]; then
        # Not root: apt-get would fail. The browser test is skipped without chromium (it
        # says why); everything else runs.
        log "chromium is missing and this user is not root: skipping its install;"
        log "tests/test_html_browser.py will be skipped (as root: apt-get install -y chromium)"
        return 0
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        log "chromium is missing: install it (Debian: apt-get install -y chromium)"
        return 1
    fi
    log "installing chromium with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    chromium_installed || { log "chromium install failed"; return 1; }
}

check() {
    local rc=0 have
    have="$(ministack_installed_version || true)"
    if [[ "$have" == "$MINISTACK_VERSION" ]]; then
        log "ok: ministack $have ($VENV)"
    else
        log "missing: ministack==$MINISTACK_VERSION (found: ${have:-none}); run: $0 install"
        rc=1
    fi
    if moto_server_importable; then
        log "ok: moto server mode ($PYTHON)"
    else
        log "missing: moto[server] in $PYTHON; run: $0 install"
        rc=1
    fi
    if chromium_installed; then
        log "ok: chromium ($(command -v chromium || command -v chromium-browser))"
    elif [[ "$(id -u)" != 0 ]]; then
        log "no chromium (not root): tests/test_html_browser.py is skipped"
    else
        log "missing: chromium; run: $0 install"
        rc=1
    fi
    return "$rc"
}

case "${1:-}" in
    install)
        install_ministack
        install_moto_server
        install_chromium
        ;;
    check) check ;;
    *)
        echo "usage: $0 {install|check}" >&2
        exit 2
        ;;
esac
