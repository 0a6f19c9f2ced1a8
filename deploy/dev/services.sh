#!/usr/bin/env bash
# Starts the shared services the tests use when they are not running:
# PostgreSQL on 127.0.0.1:5432. Tests start their own Mosquitto brokers and
# pcscd; they only need the binaries.
set -euo pipefail

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }

if ! pg_up; then
    if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
        version="$(ls /etc/postgresql | sort -V | tail -1)"
        if ! pg_lsclusters -h | awk '{print $2}' | grep -qx main; then
            pg_createcluster "$version" main >/dev/null
        fi
        pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    fi
    for _ in $(seq 1 30); do pg_up && break; sleep 1; done
fi
if pg_up; then
    # Tests connect as postgres:postgres over TCP; a password works under trust and scram alike.
    su postgres -c "psql -qtAc \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null || true
else
    echo "services: PostgreSQL is not reachable on 127.0.0.1:5432" >&2
fi
