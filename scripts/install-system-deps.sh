#!/usr/bin/env bash
# Debian packages supportgate's tests and demo need, installed with apt-get when missing:
#   redis-server  - the demo's private Redis when none answers, and the tests' Redis Cluster and
#                   outage tests (the shared Redis on 127.0.0.1:6379 is never stopped).
#   chromium      - the login screen's end-to-end tests (playwright-core drives /usr/bin/chromium;
#                   `npx playwright install` cannot download browsers here).
#   nginx         - the forward-auth tests put a real nginx (auth_request) in front of the gateway;
#                   they run /usr/sbin/nginx themselves on a free loopback port with a config and
#                   temp dir of their own (test/support/nginx.ts), never the system service.
#                   Debian 12's nginx-light is only nginx plus the echo module, so plain nginx
#                   (auth_request is built in). If installing starts the system service, it is
#                   stopped and disabled again: nothing of ours listens on port 80.
# Idempotent: does nothing when everything is there. Needs root (or sudo) only when installing.
set -euo pipefail

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || need+=(redis-tools)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/sbin/nginx ] || need+=(nginx)

if [ ${#need[@]} -eq 0 ]; then
  echo "system dependencies: all present (redis-server $(redis-server --version | sed -E 's/.*v=([0-9.]+).*/\1/'), $(/usr/bin/chromium --version 2>/dev/null | head -1), $(/usr/sbin/nginx -v 2>&1 | sed -E 's/^nginx version: //'))"
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

# The package's maintainer script may have started the system nginx on port 80; the tests never
# use it. Stop it and keep it from starting at boot, with systemd or without; never fail here.
if [[ " ${need[*]} " == *" nginx "* ]]; then
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    $sudo systemctl disable --now nginx >/dev/null 2>&1 || true
  else
    if [ -x /etc/init.d/nginx ]; then $sudo /etc/init.d/nginx stop >/dev/null 2>&1 || true; fi
    if command -v update-rc.d >/dev/null 2>&1; then $sudo update-rc.d nginx disable >/dev/null 2>&1 || true; fi
  fi
fi
