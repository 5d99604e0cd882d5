#!/bin/sh
# Creates Temporal's two databases and brings their schemas to this admin-tools image's version
# (run once per upgrade of the server, before the server starts; re-running it changes nothing).
set -eu
: "${POSTGRES_SEEDS:?the PostgreSQL host}" "${POSTGRES_USER:?}" "${SQL_PASSWORD:?the PostgreSQL password}"
schemas=/etc/temporal/schema/postgresql/v12
sql() { temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -u "$POSTGRES_USER" -p "${DB_PORT:-5432}" "$@"; }
for db in temporal temporal_visibility; do
  dir=$schemas/temporal/versioned
  [ "$db" = temporal_visibility ] && dir=$schemas/visibility/versioned
  sql --db "$db" create || echo "database $db already exists"
  # setup-schema -v 0.0 only creates the version table when it is missing; update-schema applies the rest.
  sql --db "$db" setup-schema -v 0.0
  sql --db "$db" update-schema -d "$dir"
done
echo 'Temporal schemas are up to date'
