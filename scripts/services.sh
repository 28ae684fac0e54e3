#!/usr/bin/env bash
# Debian's Mosquitto (MQTT 5 broker) for the streaming-collection tests, which start their own
# instance on a free loopback port; installed when missing and we are root. The service itself is
# not started here.
set -euo pipefail
if [ -x /usr/sbin/mosquitto ] || command -v mosquitto >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "== installing Debian's mosquitto for the streaming-collection tests"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mosquitto >/dev/null
  # the package enables a system broker on port 1883; the tests do not need it
  if command -v systemctl >/dev/null 2>&1; then systemctl disable --now mosquitto >/dev/null 2>&1 || true; fi
elif [ "${CI:-}" = "true" ]; then
  echo "error: mosquitto is missing and cannot be installed (not root)" >&2
  exit 2
else
  echo "note: mosquitto not installed; streaming-collection tests will be skipped" >&2
fi
