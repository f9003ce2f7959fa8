#!/usr/bin/env bash
# First-start setup of the compose stack's database, run once by the postgres image's entrypoint
# (/docker-entrypoint-initdb.d, after the TimescaleDB image's own 000_install_timescaledb.sh has created
# the extension in $POSTGRES_DB) while the server still listens on its Unix socket only.
#
# 1. Creates the cluster roles (sql/bootstrap/roles.sql, mounted at $OBSERVATORY_ROLES_SQL).
# 2. Sets their passwords from COLLECTOR_DB_PASSWORD and GRAFANA_DB_PASSWORD.
# 3. Hands the database $POSTGRES_DB to observatory_collector, which runs the migrations itself.
#
# Passwords travel through psql's \getenv, never on a command line, and are quoted by psql (:'var'),
# so any character works. Statement logging is off for the session so they never reach the server log.
# Works executed or sourced (the entrypoint sources scripts without the executable bit): when sourced it
# changes no shell option and exits only on failure, which aborts the init as it should.

observatory_init() {
  local roles_sql="${OBSERVATORY_ROLES_SQL:-/observatory/roles.sql}"
  local database="${POSTGRES_DB:-${POSTGRES_USER:-postgres}}"
  local name
  for name in COLLECTOR_DB_PASSWORD GRAFANA_DB_PASSWORD; do
    if [ -z "${!name:-}" ]; then
      echo "010_observatory.sh: $name is empty: set it in .env (see .env.example)" >&2
      return 1
    fi
  done
  if [ ! -r "$roles_sql" ]; then
    echo "010_observatory.sh: $roles_sql is missing: mount sql/bootstrap/roles.sql there" >&2
    return 1
  fi

  psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet --username "${POSTGRES_USER:-postgres}" \
    --dbname "$database" --set=roles_sql="$roles_sql" --set=database="$database" <<'SQL'
SET log_statement = 'none';
SET log_min_error_statement = 'panic';
\i :roles_sql
\getenv collector_password COLLECTOR_DB_PASSWORD
\getenv reader_password GRAFANA_DB_PASSWORD
ALTER ROLE observatory_collector PASSWORD :'collector_password';
ALTER ROLE observatory_reader PASSWORD :'reader_password';
ALTER DATABASE :"database" OWNER TO observatory_collector;
SQL
  local status=$?
  if [ "$status" -eq 0 ]; then
    echo "010_observatory.sh: roles observatory_collector and observatory_reader ready; database $database owned by observatory_collector"
  fi
  return "$status"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  observatory_init
else
  observatory_init || exit 1
fi
