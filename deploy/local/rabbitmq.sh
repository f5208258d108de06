#!/usr/bin/env bash
# Start or stop a private RabbitMQ node on 127.0.0.1, everything under one directory, without systemd;
# or a cluster of three such nodes on loopback.
#   rabbitmq.sh start DIR AMQP_PORT [MANAGEMENT_PORT]   returns once the node accepts connections
#   rabbitmq.sh stop  DIR                                 stops the node and its own epmd
#   rabbitmq.sh cluster-start DIR AMQP_PORT [MANAGEMENT_PORT]
#                        three nodes in DIR/node1..3 on AMQP_PORT, +1, +2 (management ports likewise),
#                        joined into one cluster; returns once all three run as one
#   rabbitmq.sh cluster-stop DIR                          stops the three nodes and their epmd
#   rabbitmq.sh node-stop DIR N / node-start DIR N        stops or starts node N (1..3) of the cluster
#                        alone, as when a machine of a real cluster goes away and comes back
# When DIR/definitions.json exists (`tsunagu broker definitions --output`: a broker user per part of
# Tsunagu, each limited to its own exchanges and queues), the node loads it at every boot.
# Every node gets its own epmd and distribution port, so several nodes (a developer's stack and the
# tests' brokers) run side by side. A start that fails stops what it launched, so nothing is left half
# alive. TSUNAGU_BROKER_START_TIMEOUT: seconds to wait for the node (default 90); TSUNAGU_LOG_MAX_BYTES,
# TSUNAGU_LOG_BACKUPS: when its log file rotates, and how many are kept.
set -euo pipefail
umask 077  # the node's data and logs are for this user alone

cmd=${1:?usage: rabbitmq.sh start|stop|cluster-start|cluster-stop|node-stop|node-start DIR …}
dir=$(mkdir -p "${2:?DIR}" && cd "$2" && pwd)
rmq=/usr/lib/rabbitmq/bin
cd "$dir"  # the node and the CLI write crash dumps (erl_crash.dump, MnesiaCore.*) where they run: here

# node_env PORT [EPMD_PORT]: the environment of the node whose files are in $dir (a cluster's nodes share
# one epmd, through which they find each other, and one HOME, whose Erlang cookie lets them talk).
node_env() {
  local port=$1
  export HOME="${cluster_home:-$dir}"
  export RABBITMQ_NODENAME="tsunagu${port}@localhost"
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
  export RABBITMQ_NODE_PORT="$port"
  export RABBITMQ_DIST_PORT=$((port + 20000))
  export RABBITMQ_MNESIA_BASE="$dir/mnesia"
  export RABBITMQ_LOG_BASE="$dir/log"
  export RABBITMQ_PID_FILE="$dir/pid"
  export RABBITMQ_CONFIG_FILE="$dir/rabbitmq"
  export RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins"
  export RABBITMQ_CONF_ENV_FILE=/dev/null
  export ERL_EPMD_PORT=${2:-$((port + 21000))}
  export ERL_EPMD_ADDRESS=127.0.0.1
  # Erlang distribution on loopback only: nothing of the node is reachable from the network.
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
}

# Every process of the node in DIR (beam, its helpers, its epmd, CLI calls), found by the environment
# node_env gave them: no pid file is needed, and nobody else's process can match.
node_processes() {
  ( unset RABBITMQ_MNESIA_BASE  # or the commands of this very search would match
    grep -lzxF "RABBITMQ_MNESIA_BASE=$dir/mnesia" /proc/[0-9]*/environ 2>/dev/null \
      | sed -n 's|^/proc/\([0-9]*\)/environ$|\1|p' ) || true
}

stop_node() {
  if [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
    local pid
    pid=$(cat "$dir/pid")
    "$rmq/rabbitmqctl" -q stop "$dir/pid" >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$dir/pid"
  # A cluster's epmd serves the other nodes too: only cluster-stop ends it, once every node is down.
  [ -n "${cluster_home:-}" ] || /usr/lib/erlang/bin/epmd -port "$ERL_EPMD_PORT" -kill >/dev/null 2>&1 || true
  # A node that never finished booting has no pid file and ignores rabbitmqctl: end what is left.
  local left signal
  for signal in TERM KILL; do
    left=$(node_processes)
    [ -n "$left" ] || return 0
    kill "-$signal" $left 2>/dev/null || true
    for _ in $(seq 1 50); do [ -z "$(node_processes)" ] && return 0; sleep 0.1; done
  done
}

# start_node PORT [MANAGEMENT_PORT] [DEFINITIONS]: write the node's config in $dir, launch it, wait for it
start_node() {
  local port=$1 mgmt=${2:-} definitions=${3:-}
  [ -x "$rmq/rabbitmq-server" ] || { echo "rabbitmq-server is not installed (deploy/local/bootstrap.sh installs it)" >&2; exit 1; }
  echo "$port" > "$dir/port"
  if [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
    echo "RabbitMQ already running in $dir" >&2; return 0
  fi
  {
    echo "listeners.tcp.1 = 127.0.0.1:$port"
    echo "loopback_users = none"
    # Persist every message to disk even under memory pressure; never page the node out of service.
    echo "vm_memory_high_watermark.relative = 0.6"
    echo "disk_free_limit.absolute = 50MB"
    # The node's own log rotates by size like the stack's other logs.
    echo "log.file.rotation.size = ${TSUNAGU_LOG_MAX_BYTES:-10485760}"
    echo "log.file.rotation.count = ${TSUNAGU_LOG_BACKUPS:-3}"
    if [ -n "$definitions" ] && [ -f "$definitions" ]; then
      echo "load_definitions = $definitions"
    fi
    if [ -n "$mgmt" ]; then
      echo "management.tcp.port = $mgmt"
      echo "management.tcp.ip = 127.0.0.1"
    fi
  } > "$dir/rabbitmq.conf"
  if [ -n "$mgmt" ]; then echo "[rabbitmq_management]." > "$dir/enabled_plugins"; else echo "[]." > "$dir/enabled_plugins"; fi
  mkdir -p "$dir/log"
  # setsid: the node must not receive the terminal's Ctrl-C; the supervisor stops it in order.
  setsid "$rmq/rabbitmq-server" >> "$dir/log/console.log" 2>&1 < /dev/null &
  # `timeout` holds the wait to its time even when the CLI itself is slow to start (a busy machine).
  wait_seconds=${TSUNAGU_BROKER_START_TIMEOUT:-90}
  timeout "$wait_seconds" "$rmq/rabbitmqctl" -q wait --timeout "$wait_seconds" "$dir/pid" >/dev/null 2>&1 || {
    echo "RabbitMQ did not start in ${wait_seconds}s; stopping what was launched; see $dir/log" >&2
    tail -n 20 "$dir/log/console.log" >&2
    stop_node
    exit 1; }
}

# A cluster in $base: node N in $base/nodeN, AMQP port base_port+N-1, one epmd at base_port+21000.
cluster_node() {
  local number=$1
  cluster_home=$base
  dir="$base/node$number"
  mkdir -p "$dir"
  node_env $((base_port + number - 1)) $((base_port + 21000))
}

cluster_start_node() {
  local number=$1 mgmt=""
  [ -n "$base_mgmt" ] && mgmt=$((base_mgmt + number - 1))
  cluster_node "$number"
  local fresh=0
  [ -d "$dir/mnesia" ] || fresh=1
  start_node $((base_port + number - 1)) "$mgmt" "$base/definitions.json"
  if [ "$number" -gt 1 ] && [ "$fresh" -eq 1 ]; then  # a new node joins the first; a known one rejoins alone
    "$rmq/rabbitmqctl" -q stop_app >/dev/null
    "$rmq/rabbitmqctl" -q join_cluster "tsunagu${base_port}@localhost" >/dev/null
    "$rmq/rabbitmqctl" -q start_app >/dev/null
  fi
}

cluster_args() {
  base=$(mkdir -p "${1:?DIR}" && cd "$1" && pwd)
  if [ -n "${2:-}" ]; then echo "$2 ${3:-}" > "$base/ports"; fi
  [ -f "$base/ports" ] || exit 0  # never started: nothing to do
  read -r base_port base_mgmt < "$base/ports"
}

case "$cmd" in
  start)
    port=${3:?AMQP_PORT}
    node_env "$port"
    start_node "$port" "${4:-}" "$dir/definitions.json"
    ;;
  cluster-start)
    cluster_args "$2" "${3:?AMQP_PORT}" "${4:-}"
    # The nodes' shared epmd, started apart from any node: stopping node 1 must not take it along
    # (stop_node ends every process that carries the node's environment).
    ( cd "$base" && env -u RABBITMQ_MNESIA_BASE ERL_EPMD_ADDRESS=127.0.0.1 \
        /usr/lib/erlang/bin/epmd -daemon -port $((base_port + 21000)) )
    for number in 1 2 3; do cluster_start_node "$number"; done
    ;;
  cluster-stop)
    cluster_args "$2"
    for number in 3 2 1; do cluster_node "$number"; stop_node; done
    /usr/lib/erlang/bin/epmd -port $((base_port + 21000)) -kill >/dev/null 2>&1 || true
    ;;
  node-stop)
    cluster_args "$2"
    cluster_node "${3:?N}"
    stop_node
    ;;
  node-start)
    cluster_args "$2"
    cluster_start_node "${3:?N}"
    ;;
  stop)
    [ -f "$dir/port" ] || exit 0
    port=$(cat "$dir/port")
    node_env "$port"
    stop_node
    ;;
  *) echo "usage: rabbitmq.sh start|stop|cluster-start|cluster-stop|node-stop|node-start DIR …" >&2; exit 2 ;;
esac
