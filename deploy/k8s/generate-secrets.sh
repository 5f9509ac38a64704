#!/usr/bin/env bash
# The secrets kustomization.yaml's secretGenerator reads, made on the machine that deploys and never
# committed (deploy/k8s/secrets/ is git-ignored); `kubectl apply -k deploy/k8s` fails without them.
#   secrets/auth-jwt.env   secret=<64 hex digits>: the auth tier's token signing secret
#   secrets/grpc-tls/      a CA (ca.crt, ca.key) and a certificate per tier (<tier>.crt, <tier>.key) for
#                          mutual TLS between the tiers, naming each tier's Service (<tier>,
#                          <tier>.<ns>, <tier>.<ns>.svc, …); ca.key stays here and is not deployed
#   Usage: bash deploy/k8s/generate-secrets.sh [out-dir]   (default: deploy/k8s/secrets)
# Existing files are kept, so running it again changes nothing; to rotate, delete what you want renewed
# (the folder, or one file), run it again and `kubectl apply -k deploy/k8s`: the Secrets' names carry a
# hash of their content, so the pods roll onto the new ones. NAMESPACE (default deadline-relay) must be
# the kustomization's namespace; DAYS sets the certificates' validity (default 365).
# The certificates come from a CA made here: with a PKI of your own (cert-manager, say), put its CA,
# certificates and keys at the same paths instead.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/secrets}
export NAMESPACE=${NAMESPACE:-deadline-relay}
mkdir -p "$out"

if [ -s "$out/auth-jwt.env" ]; then
  echo "generate-secrets: $out/auth-jwt.env exists, kept" >&2
else
  (umask 077 && printf 'secret=%s\n' "$(openssl rand -hex 32)" > "$out/auth-jwt.env")
  echo "generate-secrets: auth signing secret written to $out/auth-jwt.env" >&2
fi

missing=()
for tier in gateway auth order inventory payment; do
  [ -s "$out/grpc-tls/$tier.crt" ] && [ -s "$out/grpc-tls/$tier.key" ] || missing+=("$tier")
done
if [ ${#missing[@]} -gt 0 ]; then
  bash "$here/../../scripts/dev-certs.sh" "$out/grpc-tls" "${missing[@]}"
else
  echo "generate-secrets: $out/grpc-tls holds a certificate for every tier, kept" >&2
fi
