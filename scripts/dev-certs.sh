#!/usr/bin/env bash
# Makes a development CA and one certificate per tier for mutual TLS between the tiers
# (GRPC_TLS_CA, GRPC_TLS_CERT, GRPC_TLS_KEY; see the README's Security section).
#   Usage: bash scripts/dev-certs.sh <out-dir> [tier ...]      (tiers: default all five)
# Writes <out-dir>/ca.crt and ca.key (the CA), and <out-dir>/<tier>.crt and <tier>.key for each tier.
# Each certificate serves as gRPC server and as client (extendedKeyUsage serverAuth, clientAuth) and
# names the tier as its callers dial it: <tier>, localhost, 127.0.0.1, ::1, and with NAMESPACE=<ns>
# also <tier>.<ns>, <tier>.<ns>.svc and <tier>.<ns>.svc.cluster.local (Kubernetes Service names).
# DAYS sets the validity (default 365). Keys are EC P-256, readable by the owner only. An existing CA
# in <out-dir> is reused, so adding a tier later keeps the others valid; delete the folder to rotate.
set -euo pipefail
out=${1:?usage: dev-certs.sh <out-dir> [tier ...]}
shift
tiers=("$@")
[ ${#tiers[@]} -gt 0 ] || tiers=(gateway auth order inventory payment)
days=${DAYS:-365}
namespace=${NAMESPACE:-}
for tier in "${tiers[@]}"; do
  [[ $tier =~ ^[a-z][a-z0-9-]*$ ]] || { echo "dev-certs: \"$tier\" is not a tier name" >&2; exit 1; }
done
command -v openssl >/dev/null || { echo "dev-certs: openssl is needed" >&2; exit 1; }
mkdir -p "$out"
umask 077
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# openssl's chatter is shown only when it fails.
quiet() { "$@" 2>"$work/stderr" || { cat "$work/stderr" >&2; echo "dev-certs: $1 failed" >&2; exit 1; }; }

if [ ! -s "$out/ca.crt" ] || [ ! -s "$out/ca.key" ]; then
  quiet openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days "$days" \
    -subj "/CN=deadline-relay development CA" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$out/ca.key" -out "$out/ca.crt"
fi

for tier in "${tiers[@]}"; do
  names="DNS:$tier,DNS:localhost,IP:127.0.0.1,IP:::1"
  if [ -n "$namespace" ]; then
    names="$names,DNS:$tier.$namespace,DNS:$tier.$namespace.svc,DNS:$tier.$namespace.svc.cluster.local"
  fi
  printf '%s\n' \
    "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature,keyAgreement" \
    "extendedKeyUsage=serverAuth,clientAuth" \
    "subjectAltName=$names" > "$work/$tier.ext"
  quiet openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$tier" \
    -keyout "$out/$tier.key" -out "$work/$tier.csr"
  quiet openssl x509 -req -in "$work/$tier.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" -CAcreateserial \
    -CAserial "$work/ca.srl" -days "$days" -extfile "$work/$tier.ext" -out "$out/$tier.crt"
done
chmod 644 "$out"/*.crt
echo "dev-certs: CA and certificates for ${tiers[*]} in $out" >&2
