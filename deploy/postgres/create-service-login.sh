#!/bin/sh
# PostgreSQL's first start (docker-entrypoint-initdb.d): the service's own login user. It gets
# no rights here: `bkctl db upgrade` (the migrate service, logged in as the administrator
# POSTGRES_USER) creates the owner and service roles, migrates, and makes this user a member of
# the service role (docs/security.md, "Least privilege on PostgreSQL").
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v password="$(cat /run/secrets/service_db_password)" <<'SQL'
CREATE ROLE bookiji_app LOGIN PASSWORD :'password';
SQL
