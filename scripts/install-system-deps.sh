#!/usr/bin/env bash
# Debian packages supportgate's tests and demo need, installed with apt-get when missing:
#   redis-server  - the demo's private Redis when none answers, and the tests' Redis Cluster and
#                   outage tests (the shared Redis on 127.0.0.1:6379 is never stopped).
#   chromium      - the login screen's end-to-end tests (playwright-core drives /usr/bin/chromium;
#                   `npx playwright install` cannot download browsers here).
# Idempotent: does nothing when everything is there. Needs root (or sudo) only when installing.
set -euo pipefail

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || need+=(redis-tools)
[ -x /usr/bin/chromium ] || need+=(chromium)

if [ ${#need[@]} -eq 0 ]; then
  echo "system dependencies: all present (redis-server $(redis-server --version | sed -E 's/.*v=([0-9.]+).*/\1/'), $(/usr/bin/chromium --version 2>/dev/null | head -1))"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-system-deps: need root or sudo to apt-get install ${need[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "system dependencies: installing ${need[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
