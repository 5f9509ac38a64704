#!/usr/bin/env bash
# Secrets for docker-compose.yml, made on this machine and never committed (both are git-ignored):
#   .env     AUTH_JWT_SECRET=<64 hex digits>; docker compose reads it for the variables of
#            docker-compose.yml, which refuses to run without one. An .env that already sets
#            AUTH_JWT_SECRET is kept (tokens stay valid), so running this again is safe.
#   .certs/  a development CA and one certificate per tier (scripts/dev-certs.sh), for mutual TLS
#            between the tiers with docker-compose.mtls.yml. Existing files are kept.
#   Usage: bash scripts/compose-secrets.sh [project-dir]      (default: the repository)
# To rotate, delete what you want renewed and run it again.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
project=${1:-$(dirname "$here")}
env_file="$project/.env"
certs="$project/.certs"

if [ -f "$env_file" ] && grep -q '^AUTH_JWT_SECRET=.' "$env_file"; then
  echo "compose-secrets: $env_file already sets AUTH_JWT_SECRET, kept" >&2
else
  (umask 077 && printf 'AUTH_JWT_SECRET=%s\n' "$(openssl rand -hex 32)" >> "$env_file")
  echo "compose-secrets: AUTH_JWT_SECRET written to $env_file" >&2
fi

if [ -s "$certs/ca.crt" ]; then
  echo "compose-secrets: $certs already holds a CA, kept" >&2
else
  bash "$here/dev-certs.sh" "$certs" gateway auth order inventory payment
  # The tiers run as the image's `node` user, which must read the keys through the bind mount:
  # development keys only, readable on this machine.
  chmod 755 "$certs"
  chmod 644 "$certs"/{gateway,auth,order,inventory,payment}.key
fi
