#!/usr/bin/env bash
# Write the secret files deploy/compose.yaml reads (deploy/secrets/, never committed): random
# passwords and keys made here, the Stripe keys taken from the environment. An existing file is
# kept, so running it again changes nothing. The folder is the owner's alone (0700); the files
# are 0644 because compose bind-mounts each into containers whose users differ (bookiji 10001,
# postgres, grafana): only someone who can enter deploy/secrets/ on the host can read them.
#   STRIPE_API_KEY=sk_live_... STRIPE_WEBHOOK_SECRET=whsec_... ./make-secrets.sh
set -euo pipefail
cd "$(dirname "$0")"
umask 022
mkdir -p secrets
chmod 0700 secrets

random() { python3 -c 'import secrets; print(secrets.token_urlsafe(32))'; }
keep_or_write() {  # NAME VALUE
  if [ -s "secrets/$1" ]; then echo "kept    secrets/$1"; return; fi
  printf '%s\n' "$2" > "secrets/$1"
  echo "wrote   secrets/$1"
}

for name in STRIPE_API_KEY STRIPE_WEBHOOK_SECRET; do
  file=$(echo "$name" | tr '[:upper:]' '[:lower:]')
  if [ ! -s "secrets/$file" ] && [ -z "${!name:-}" ]; then
    echo "make-secrets.sh: set $name (the production profile refuses to start without it)" >&2
    exit 2
  fi
done

keep_or_write postgres_password "$(random)"
keep_or_write service_db_password "$(random)"
# The administrator's URL is for `bkctl db upgrade` alone; the service logs in as bookiji_app.
keep_or_write migration_database_url \
  "postgresql://bookiji:$(cat secrets/postgres_password)@postgres:5432/bookiji"
keep_or_write database_url \
  "postgresql://bookiji_app:$(cat secrets/service_db_password)@postgres:5432/bookiji"
keep_or_write stripe_api_key "${STRIPE_API_KEY:-}"
keep_or_write stripe_webhook_secret "${STRIPE_WEBHOOK_SECRET:-}"
keep_or_write audit_key "$(random)"
keep_or_write grafana_admin_password "$(random)"
