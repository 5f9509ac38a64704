#!/usr/bin/env bash
# Certificate wiring for the admission webhook, for a cluster without cert-manager:
# makes a CA and a server certificate for admission.deadline-relay.svc, stores them in Secret
# admission-tls, and puts the CA into both webhook configurations' caBundle (the API server verifies
# the webhook with it). Run after `kubectl apply -k deploy/k8s`; re-run to rotate.
# With cert-manager instead: issue a Certificate into Secret admission-tls and annotate both webhook
# configurations with cert-manager.io/inject-ca-from: deadline-relay/admission-tls.
set -euo pipefail
namespace=${NAMESPACE:-deadline-relay}
service=admission
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=deadline-relay admission CA" \
  -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=$service.$namespace.svc" \
  -keyout "$dir/tls.key" -out "$dir/tls.csr" 2>/dev/null
printf 'subjectAltName=DNS:%s,DNS:%s.%s,DNS:%s.%s.svc\nextendedKeyUsage=serverAuth\n' \
  "$service" "$service" "$namespace" "$service" "$namespace" > "$dir/ext.cnf"
openssl x509 -req -in "$dir/tls.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -days 365 \
  -extfile "$dir/ext.cnf" -out "$dir/tls.crt" 2>/dev/null

kubectl -n "$namespace" create secret tls admission-tls --cert="$dir/tls.crt" --key="$dir/tls.key" \
  --dry-run=client -o yaml | kubectl apply -f -
ca=$(base64 -w0 < "$dir/ca.crt")
for config in mutatingwebhookconfiguration/deadline-relay-timeout-defaults validatingwebhookconfiguration/deadline-relay-timeout-policy; do
  kubectl patch "$config" --type=json -p "[{\"op\":\"replace\",\"path\":\"/webhooks/0/clientConfig/caBundle\",\"value\":\"$ca\"}]"
done
kubectl -n "$namespace" rollout restart deployment/admission
