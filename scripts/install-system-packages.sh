#!/usr/bin/env bash
# Debian packages the local data tier, the tests and the benches need. Idempotent; skips apt when
# everything is already installed, so a warm machine pays nothing.
set -euo pipefail
pkgs=(
  postgresql-15 postgresql-contrib patroni etcd-server etcd-client pgbouncer python3-psycopg2  # PostgreSQL HA
  redis-server redis-sentinel redis-tools                                                        # Redis + Sentinel
  maven default-jre-headless                                                                     # Kafka jars (Maven Central)
  python3-venv                                                                                   # Milvus from PyPI
  prometheus pgbackrest openssl                                                                  # promtool (alert tests), pgBackRest (restore test), openssl (local Postgres TLS)
  procps psmisc util-linux                                                                       # ps, fuser, flock
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "all Debian packages present"
fi
