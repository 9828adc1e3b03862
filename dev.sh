#!/usr/bin/env bash
# One entry point for a fresh machine (Python, pip and apt only):
#   bash dev.sh serve   install what is missing, create the demo county once, run the service on :8000
#   bash dev.sh test    install what is missing, run the test suite
# Data home: ESIGN_HOME, default this folder (keys/, certs/, esign.db).
set -euo pipefail
cd "$(dirname "$0")"

APT_PACKAGES=(poppler-utils fonts-noto-cjk zbar-tools softhsm2 libnss3-tools chromium libreoffice-writer-nogui golang-go golang-golang-x-mod-dev default-jdk-headless libbcprov-java qpdf ghostscript haproxy)
# Node.js and npm (ofd.js and pdf.js tests): any installed ones will do (a NodeSource nodejs bundles its own npm,
# which Debian's npm package would conflict with); Debian's are installed only where the commands are missing.
APT_IF_MISSING=(node:nodejs npm:npm)
PYTHON=${PYTHON:-python3}

ensure_system_packages() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  for pair in "${APT_IF_MISSING[@]}"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing system packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

ensure_venv() {
  if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
    .venv/bin/pip install -q --upgrade pip
  fi
  # Reinstall when pyproject.toml changed since the last install.
  if [ ! -f .venv/.installed ] || [ pyproject.toml -nt .venv/.installed ]; then
    .venv/bin/pip install -q -e ".[test,pkcs11]"
    touch .venv/.installed
  fi
}

cmd=${1:-}
shift || true
case "$cmd" in
  serve)
    ensure_system_packages
    ensure_venv
    exec .venv/bin/esign serve --demo "$@"
    ;;
  cluster)
    ensure_system_packages
    ensure_venv
    exec .venv/bin/python -m esign.hosts.cluster "$@"
    ;;
  test)
    ensure_system_packages
    ensure_venv
    # Two workers, one per core (pytest-xdist; ESIGN_TEST_WORKERS=0 runs in one process): every test
    # has its own temporary home, free port and PostgreSQL schema; --dist loadscope keeps a module's
    # tests (and its live server) on one worker.
    exec .venv/bin/pytest -n "${ESIGN_TEST_WORKERS:-2}" --dist loadscope "$@"
    ;;
  *)
    echo "usage: bash dev.sh serve [--port N] | bash dev.sh cluster [N] | bash dev.sh test [pytest args]" >&2
    exit 2
    ;;
esac
