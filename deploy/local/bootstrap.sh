#!/usr/bin/env bash
# Install what Tsunagu needs on a Debian machine, only what is missing, then the project into .venv.
#   bootstrap.sh run    the broker and the Python environment
#   bootstrap.sh test   the same, plus PostgreSQL server binaries, docker-compose (to validate the
#                       compose file without a Docker engine), Debian's chromium (the pages' tests drive
#                       it by path) and axe-core from the npm registry (the accessibility checker they inject)
#   bootstrap.sh bench  the same as run, plus wrk (the HTTP load generator of the benchmarks)
# Safe to run again: it does nothing when everything is already there.
set -euo pipefail
mode=${1:-run}
cd "$(dirname "$0")/../.."

packages=()
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || packages+=(rabbitmq-server)
python3 -c 'import venv, ensurepip' 2>/dev/null || packages+=(python3-venv)
if [ "$mode" = bench ]; then
  command -v wrk >/dev/null 2>&1 || packages+=(wrk)
fi
if [ "$mode" = test ]; then
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || packages+=(postgresql)
  command -v docker-compose >/dev/null 2>&1 || packages+=(docker-compose)
  [ -x /usr/lib/chromium/chromium ] || packages+=(chromium)
  # a Japanese font, so the browser lays the pages out as a reader's phone does (not as boxes of tofu)
  [ -d /usr/share/fonts/opentype/ipafont-gothic ] || packages+=(fonts-ipafont-gothic)
  command -v curl >/dev/null 2>&1 || packages+=(curl)
  command -v openssl >/dev/null 2>&1 || packages+=(openssl)
fi
if [ ${#packages[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${packages[*]}"
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
  $sudo apt-get update -qq
  # --no-install-recommends: docker-compose would otherwise pull in a whole Docker engine.
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
  # Tsunagu runs its own RabbitMQ node; the system-wide one Debian starts under systemd would only
  # hold port 5672. Stop it when this script is what installed it.
  if [[ " ${packages[*]} " == *" rabbitmq-server "* ]] && command -v systemctl >/dev/null \
      && systemctl is-active --quiet rabbitmq-server 2>/dev/null; then
    echo "Disabling the system-wide rabbitmq-server service (Tsunagu starts its own node)"
    $sudo systemctl disable --now rabbitmq-server >/dev/null 2>&1 || true
  fi
fi

stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "Installing the project into .venv"
  [ -x .venv/bin/python ] || python3 -m venv .venv
  # pip's own log, shown only when it fails (this machine's extra indexes make it chatty)
  if ! .venv/bin/pip install -q -e ".[test]" > .venv/pip.log 2>&1; then cat .venv/pip.log >&2; exit 1; fi
  touch "$stamp"
fi

if [ "$mode" = test ]; then
  # axe-core for the pages' accessibility tests: a pinned release from the npm registry, checked against
  # the registry's own integrity hash, kept inside .venv (never fetched while the tests run).
  axe_version=4.14.1
  axe_integrity="sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
  axe=.venv/share/axe-core/$axe_version/axe.min.js
  if [ ! -f "$axe" ]; then
    echo "Fetching axe-core $axe_version from the npm registry"
    tmp=$(mktemp -d)
    curl -fsSL --retry 3 -o "$tmp/axe.tgz" "https://registry.npmjs.org/axe-core/-/axe-core-$axe_version.tgz"
    got="sha512-$(openssl dgst -sha512 -binary "$tmp/axe.tgz" | base64 -w0)"
    if [ "$got" != "$axe_integrity" ]; then echo "axe-core $axe_version: integrity mismatch" >&2; rm -rf "$tmp"; exit 1; fi
    tar -xzf "$tmp/axe.tgz" -C "$tmp" package/axe.min.js
    mkdir -p "$(dirname "$axe")"
    mv "$tmp/package/axe.min.js" "$axe"
    rm -rf "$tmp"
  fi
fi
