#!/usr/bin/env bash
# The example multi-node deployment on one machine, on loopback: PostgreSQL (a throwaway cluster on
# 127.0.0.1:5433), the example tool server (:7801), three gateways (:7811-7813, gateway-N.json) and
# nginx on :7800 routing each agent to one gateway by its bearer token. Ctrl-C stops everything and
# removes the data directory. Run from the repository root after the build:
#   npx turbo run build --filter=@harombe/gateway... && apps/gateway/deploy/start.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
gateway="node $here/../dist/main.js"
run="${HAROMBE_DEPLOY_DIR:-$(mktemp -d /tmp/harombe-deploy-XXXXXX)}"
pids=()
stop() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  as_pg "$pg_bin/pg_ctl" -D "$run/pg" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$run"
}
trap stop EXIT INT TERM

# PostgreSQL: Debian's binaries; initdb refuses root, so as the postgres user then.
pg_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ "$(id -u)" = 0 ]; then chown postgres: "$run"; chmod 755 "$run"; fi
as_pg "$pg_bin/initdb" -D "$run/pg" -U postgres --auth=trust -E UTF8 --no-locale >/dev/null
printf "listen_addresses = '127.0.0.1'\nport = 5433\nunix_socket_directories = '%s'\n" "$run" >> "$run/pg/postgresql.conf"
as_pg "$pg_bin/pg_ctl" -D "$run/pg" -l "$run/pg.log" -w start >/dev/null

# The example tool server over the demo sandbox, and the demo history to train on.
node --input-type=module -e "
  import { writeFileSync } from 'node:fs';
  import { demoHistory, seedSandbox } from '$here/../dist/index.js';
  await seedSandbox('$run/sandbox');
  writeFileSync('$run/history.jsonl', demoHistory(new Date(), 'localhost'));
"
$gateway tools --sandbox "$run/sandbox" --port 7801 & pids+=($!)

# Models trained once, saved in PostgreSQL (version 1); then the three replicas.
$gateway seed --config "$here/gateway-1.json" --history "$run/history.jsonl"
for n in 1 2 3; do
  $gateway start --config "$here/gateway-$n.json" > "$run/gateway-$n.log" 2>&1 & pids+=($!)
done
for n in 1 2 3; do
  until curl -sf "http://127.0.0.1:781$n/healthz" >/dev/null; do sleep 0.2; done
done

# nginx (Debian's: apt-get install -y nginx), not as a daemon, in a prefix of its own.
mkdir -p "$run/nginx"
$gateway nginx-config --prefix "$run/nginx" --listen 7800 \
  --gateways 127.0.0.1:7811 127.0.0.1:7812 127.0.0.1:7813 \
  $( [ "$(id -u)" = 0 ] && echo --user root ) > "$run/nginx/nginx.conf"
echo "harombe multi-node: http://127.0.0.1:7800/mcp (logs in $run); Ctrl-C stops"
nginx -p "$run/nginx" -c nginx.conf -g 'daemon off;' & pids+=($!)
wait "${pids[-1]}"
