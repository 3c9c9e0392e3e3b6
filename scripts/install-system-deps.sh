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
#   apache2, libapache2-mod-auth-openidc
#                 - the relying-party tests put a real Apache with mod_auth_openidc (an OIDC client
#                   nobody on this project wrote) in front of a page and sign in through it; they
#                   run /usr/sbin/apache2 themselves on a free loopback port with a ServerRoot,
#                   config, pid and logs of their own (test/support/apache.ts), never the system
#                   service, which is stopped and disabled like nginx's.
#   python3-authlib, python3-requests
#                 - the relying-party tests run test/rp/authlib_rp.py with Debian's /usr/bin/python3
#                   (authlib's requests client needs requests, which python3-authlib does not pull in).
# Idempotent: does nothing when everything is there. Needs root (or sudo) only when installing.
set -euo pipefail

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || need+=(redis-tools)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/sbin/nginx ] || need+=(nginx)
[ -x /usr/sbin/apache2 ] || need+=(apache2)
[ -f /usr/lib/apache2/modules/mod_auth_openidc.so ] || need+=(libapache2-mod-auth-openidc)
# Debian's Python, not whatever python3 comes first on PATH: that is where the python3-* packages live.
/usr/bin/python3 -c 'import authlib' >/dev/null 2>&1 || need+=(python3-authlib)
/usr/bin/python3 -c 'import requests' >/dev/null 2>&1 || need+=(python3-requests)

if [ ${#need[@]} -eq 0 ]; then
  echo "system dependencies: all present (redis-server $(redis-server --version | sed -E 's/.*v=([0-9.]+).*/\1/'), $(/usr/bin/chromium --version 2>/dev/null | head -1), $(/usr/sbin/nginx -v 2>&1 | sed -E 's/^nginx version: //'), $(/usr/sbin/apache2 -v 2>/dev/null | sed -nE 's/^Server version: //p') with mod_auth_openidc $(dpkg-query -W -f '${Version}' libapache2-mod-auth-openidc 2>/dev/null), authlib $(/usr/bin/python3 -c 'import authlib; print(authlib.__version__)'))"
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

# A package's maintainer script may have started the system nginx or apache2 on port 80; the tests
# never use them. Stop each one just installed and keep it from starting at boot, with systemd or
# without; never fail here.
# (apache2 also ships apache-htcacheclean, a cache-cleaning daemon the tests have no use for.)
services=()
if [[ " ${need[*]} " == *" nginx "* ]]; then services+=(nginx); fi
# (The module's package enables itself with a2enmod, which may (re)start apache2 too.)
if [[ " ${need[*]} " == *" apache2 "* || " ${need[*]} " == *" libapache2-mod-auth-openidc "* ]]; then services+=(apache2 apache-htcacheclean); fi
for service in "${services[@]}"; do
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    $sudo systemctl disable --now "$service" >/dev/null 2>&1 || true
  else
    if [ -x "/etc/init.d/$service" ]; then $sudo "/etc/init.d/$service" stop >/dev/null 2>&1 || true; fi
    if command -v update-rc.d >/dev/null 2>&1; then $sudo update-rc.d "$service" disable >/dev/null 2>&1 || true; fi
  fi
done
