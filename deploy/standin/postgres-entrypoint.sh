#!/bin/bash
# The stand-in postgres image's entrypoint: on first start an initdb in $PGDATA with UTF8 (an SQL_ASCII
# cluster makes psycopg return bytes), superuser $POSTGRES_USER with $POSTGRES_PASSWORD (scram-sha-256 over
# TCP from anywhere, trust on the local socket), database $POSTGRES_DB; then postgres in the foreground.
set -euo pipefail
if [ "${1:0:1}" = "-" ]; then
  set -- postgres "$@"
fi
if [ "$1" != "postgres" ]; then
  exec "$@"
fi
shift
if [ "$(id -u)" = "0" ]; then  # fix ownership of a fresh volume, then run as postgres
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" postgres "$@"
fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  : "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set}"
  user="${POSTGRES_USER:-postgres}"
  db="${POSTGRES_DB:-$user}"
  pwfile="$(mktemp)"
  printf '%s' "$POSTGRES_PASSWORD" > "$pwfile"
  initdb --pgdata="$PGDATA" --username="$user" --pwfile="$pwfile" --encoding=UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"
  if [ "$db" != "postgres" ]; then
    echo "CREATE DATABASE \"${db//\"/\"\"}\" OWNER \"${user//\"/\"\"}\"" \
      | postgres --single -D "$PGDATA" -j postgres > /dev/null
  fi
fi
exec postgres -D "$PGDATA" "$@"
