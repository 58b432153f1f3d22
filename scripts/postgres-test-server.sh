#!/usr/bin/env bash
# A local PostgreSQL for the test suite's second pass (Debian's package; run as root).
# Prints the server URL for HELPDESK_TEST_POSTGRES: a role that may create databases.
set -euo pipefail
missing=
for program in pg_ctlcluster pg_lsclusters pg_createcluster pg_isready psql; do
  command -v "$program" >/dev/null || missing=1
done
if [ -n "$missing" ] || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends postgresql >&2
fi
version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
pg_lsclusters -h | grep -q "^$version main" || pg_createcluster "$version" main >&2
pg_ctlcluster "$version" main start >&2 2>/dev/null || true
for _ in $(seq 50); do pg_isready -q -h 127.0.0.1 && break; sleep 0.2; done
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='helpdesk_test'\"" | grep -q 1 ||
  su postgres -c "psql -qc \"CREATE ROLE helpdesk_test LOGIN CREATEDB PASSWORD 'helpdesk_test'\"" >&2
su postgres -c "psql -qc 'GRANT pg_signal_backend TO helpdesk_test'" >&2
echo "postgresql+psycopg://helpdesk_test:helpdesk_test@127.0.0.1/postgres"
