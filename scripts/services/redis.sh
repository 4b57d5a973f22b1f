#!/usr/bin/env bash
# Throwaway Redis for tests and benchmarks: no persistence, loopback only.
#
#   scripts/services/redis.sh start    # daemonized redis-server, returns once it answers PING
#   scripts/services/redis.sh stop     # kill it, delete its directory
#   scripts/services/redis.sh env      # REDIS_URL=...; `env --export` prefixes `export `
#   scripts/services/redis.sh status   # exit 0 if it answers PING
#
# Settings (environment; use the same ones for start, env and stop):
#   REDIS_PORT   default 6390 (not 6379, so a system Redis does not get in the way)
#   REDIS_DIR    pid file, log, working dir; default $PWD/.tmp/redis
#
# Package: redis-server (scripts/services/install-debian-packages.sh); redis-cli
# comes with it (redis-tools).
#
# Why: Debian's own redis.conf and init script are not used (no systemd here,
# and it persists to /var/lib/redis on port 6379); everything is on the command
# line: --save "" and --appendonly no turn persistence off, so nothing is
# written under REDIS_DIR but the pid file and log.
set -euo pipefail

REDIS_PORT="${REDIS_PORT:-6390}"
REDIS_DIR="${REDIS_DIR:-$PWD/.tmp/redis}"
case "$REDIS_DIR" in /*) ;; *) REDIS_DIR="$PWD/$REDIS_DIR" ;; esac
PIDFILE="$REDIS_DIR/redis.pid"
LOGFILE="$REDIS_DIR/redis.log"
MARKER="$REDIS_DIR/.qspool-redis" # stop only deletes a directory that has it
# shellcheck source=scripts/services/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

say() { echo "redis: $*" >&2; }

ping() { [ "$(timeout 5 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; }

# The pid file's process is ours if it still is a redis-server (pids get reused).
ours() { running "$1" && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q redis-server; }

ours_alive() { [ -s "$PIDFILE" ] && ours "$(cat "$PIDFILE")"; }

print_env() {
  local pre=""
  [ "${1:-}" = "--export" ] && pre="export "
  echo "${pre}REDIS_URL=redis://127.0.0.1:$REDIS_PORT"
}

stop_all() {
  if [ -s "$PIDFILE" ]; then
    local pid
    pid="$(cat "$PIDFILE")"
    if ours "$pid"; then
      kill -9 "$pid" 2>/dev/null || true # no persistence: nothing to flush
      for _ in $(seq 1 50); do running "$pid" || break; sleep 0.1; done
    fi
  fi
  remove_state_dir "$REDIS_DIR" "$MARKER"
}

start() {
  if ours_alive && ping; then
    say "already running at redis://127.0.0.1:$REDIS_PORT"
    return 0
  fi
  stop_all
  if port_busy "$REDIS_PORT"; then
    say "ERROR: port 127.0.0.1:$REDIS_PORT is in use by another process; set REDIS_PORT"
    exit 1
  fi
  mkdir -p "$REDIS_DIR"
  touch "$MARKER"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --protected-mode yes \
    --save "" --appendonly no --dir "$REDIS_DIR" \
    --daemonize yes --pidfile "$PIDFILE" --logfile "$LOGFILE" \
    </dev/null 9>&- >>"$REDIS_DIR/start.out" 2>&1 || {
    say "ERROR: redis-server failed to start"
    tail -n 20 "$REDIS_DIR/start.out" "$LOGFILE" >&2 2>/dev/null || true
    exit 1
  }
  for _ in $(seq 1 100); do
    # redis-server forks before binding: a bind error shows up only in the log
    [ -s "$PIDFILE" ] && ! running "$(cat "$PIDFILE")" && break
    if ping; then
      say "up at redis://127.0.0.1:$REDIS_PORT (state in $REDIS_DIR)"
      return 0
    fi
    sleep 0.1
  done
  say "ERROR: redis-server did not answer PING on 127.0.0.1:$REDIS_PORT"
  tail -n 20 "$REDIS_DIR/start.out" "$LOGFILE" >&2 2>/dev/null || true
  if ours_alive; then kill -9 "$(cat "$PIDFILE")" 2>/dev/null || true; fi
  exit 1
}

lock() { lock_state_dir "$REDIS_DIR" 60; }

case "${1:-}" in
  start) lock; start ;;
  stop) lock; stop_all; say "stopped" ;;
  env) print_env "${2:-}" ;;
  status) ping ;;
  *) echo "usage: $0 start|stop|env [--export]|status" >&2; exit 2 ;;
esac
