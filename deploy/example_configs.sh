#!/usr/bin/env bash
# Writes example nats-server configs with `unibus-authd nats-config` (called by deploy/BUILD):
#   example_configs.sh UNIBUS_AUTHD SINGLE_OUT CLUSTER_NODE1_OUT
# The keys are fresh and then replaced by placeholders (so the output is deterministic and
# nobody deploys a key from an image): a real node generates its own config (RUNBOOK.md §3).
set -euo pipefail
authd="$1" single="$2" node1="$3"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$authd" init --state_dir="$tmp/authd" >/dev/null
printf 'REPLACE-WITH-THE-ROUTE-SECRET\n' >"$tmp/route-secret"
chmod 0600 "$tmp/route-secret"
"$authd" nats-config --state_dir="$tmp/authd" --jetstream_dir=/var/lib/unibus-nats/js \
  --server_name=unibus-1 --port=4222 --monitor_port=8222 --out="$tmp/single.conf"
"$authd" nats-config --state_dir="$tmp/authd" --jetstream_dir=/var/lib/unibus-nats/js \
  --server_name=bus1 --host=0.0.0.0 --port=4222 --monitor_port=8222 \
  --tls_cert=/etc/unibus/nats/server.pem --tls_key=/etc/unibus/nats/server.key \
  --cluster_name=unibus --cluster_host=0.0.0.0 --cluster_port=6222 \
  --routes=bus2.example.org:6222,bus3.example.org:6222 \
  --route_cert=/etc/unibus/nats/route.pem --route_key=/etc/unibus/nats/route.key \
  --route_ca=/etc/unibus/ca.pem --route_secret_file="$tmp/route-secret" --out="$tmp/node1.conf"
placeholders() {
  sed -E -e 's/"U[A-Z2-7]{55}"/"U...(public key from unibus-authd init)"/g' \
    -e 's/"A[A-Z2-7]{55}"/"A...(issuer from unibus-authd init)"/g' \
    -e 's/"X[A-Z2-7]{55}"/"X...(xkey from unibus-authd init)"/g' "$1"
}
placeholders "$tmp/single.conf" >"$single"
placeholders "$tmp/node1.conf" >"$node1"
