#!/usr/bin/env bash
# Start or stop a private RabbitMQ node on 127.0.0.1, everything under one directory, without systemd.
#   rabbitmq.sh start DIR AMQP_PORT [MANAGEMENT_PORT]   returns once the node accepts connections
#   rabbitmq.sh stop  DIR                                 stops the node and its own epmd
# When DIR/definitions.json exists (`tsunagu broker definitions --output`: a broker user per part of
# Tsunagu, each limited to its own exchanges and queues), the node loads it at every boot.
# Every node gets its own epmd and distribution port, so several nodes (a developer's stack and the
# tests' brokers) run side by side. A start that fails stops what it launched, so nothing is left half
# alive. TSUNAGU_BROKER_START_TIMEOUT: seconds to wait for the node (default 90); TSUNAGU_LOG_MAX_BYTES,
# TSUNAGU_LOG_BACKUPS: when its log file rotates, and how many are kept.
set -euo pipefail
umask 077  # the node's data and logs are for this user alone

cmd=${1:?usage: rabbitmq.sh start|stop DIR [AMQP_PORT] [MANAGEMENT_PORT]}
dir=$(mkdir -p "${2:?DIR}" && cd "$2" && pwd)
rmq=/usr/lib/rabbitmq/bin
cd "$dir"  # the node and the CLI write crash dumps (erl_crash.dump, MnesiaCore.*) where they run: here

node_env() {
  local port=$1
  export HOME="$dir"
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
  export ERL_EPMD_PORT=$((port + 21000))
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
  /usr/lib/erlang/bin/epmd -port "$ERL_EPMD_PORT" -kill >/dev/null 2>&1 || true
  # A node that never finished booting has no pid file and ignores rabbitmqctl: end what is left.
  local left signal
  for signal in TERM KILL; do
    left=$(node_processes)
    [ -n "$left" ] || return 0
    kill "-$signal" $left 2>/dev/null || true
    for _ in $(seq 1 50); do [ -z "$(node_processes)" ] && return 0; sleep 0.1; done
  done
}

case "$cmd" in
  start)
    port=${3:?AMQP_PORT}
    mgmt=${4:-}
    [ -x "$rmq/rabbitmq-server" ] || { echo "rabbitmq-server is not installed (deploy/local/bootstrap.sh installs it)" >&2; exit 1; }
    echo "$port" > "$dir/port"
    node_env "$port"
    if [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
      echo "RabbitMQ already running in $dir" >&2; exit 0
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
      if [ -f "$dir/definitions.json" ]; then
        echo "load_definitions = $dir/definitions.json"
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
    ;;
  stop)
    [ -f "$dir/port" ] || exit 0
    port=$(cat "$dir/port")
    node_env "$port"
    stop_node
    ;;
  *) echo "usage: rabbitmq.sh start|stop DIR [AMQP_PORT] [MANAGEMENT_PORT]" >&2; exit 2 ;;
esac
