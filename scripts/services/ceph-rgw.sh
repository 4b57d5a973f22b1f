#!/usr/bin/env bash
# Throwaway single-node Ceph cluster + RADOS Gateway (a real S3 server) for
# tests and benchmarks. Starts in ~5 s on 2 idle cores (~10 s when busy); uses
# ~140 MB RAM plus the objects stored (they live in RAM).
#
#   scripts/services/ceph-rgw.sh start    # mon + osd + radosgw, returns once a signed S3 request works
#   scripts/services/ceph-rgw.sh stop     # kill the daemons, delete all state
#   scripts/services/ceph-rgw.sh env      # S3_ENDPOINT=... lines; `env --export` prefixes `export `
#   scripts/services/ceph-rgw.sh status   # exit 0 if S3 answers
#   scripts/services/ceph-rgw.sh gateway-stop / gateway-start   # kill radosgw alone (an S3 outage), start it again
#
#   eval "$(scripts/services/ceph-rgw.sh env --export)"
#
# Settings (environment; use the same ones for start, env and stop):
#   CEPH_DIR        state, config, logs (log/*.log)  default: $PWD/.tmp/ceph
#   RGW_PORT        S3 port on 127.0.0.1             default: 7480
#   CEPH_MON_PORT   monitor port on 127.0.0.1        default: 3300
#   CEPH_OSD_MEM    MemStore capacity in bytes       default: 2 GiB (a cap: RAM is used as objects are stored)
#   RGW_DEBUG       radosgw log level, 1 logs every request; 0 for benchmarks  default: 1
#   S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY / S3_REGION   credentials of the S3 user
# The OSD also listens on ports in 6800-7300 (Ceph's default range).
#
# Packages: scripts/services/install-debian-packages.sh (radosgw ceph-mon ceph-osd).
#
# Why it looks like this:
#  * No ceph-mgr: RGW needs only a mon and an OSD. Without a mgr the cluster is
#    HEALTH_WARN ("no active mgr") and mgr commands (`ceph config show`,
#    `ceph pg ...`) hang; nothing here uses them.
#  * Daemons are started by hand (no systemd), run as root and daemonize
#    (parent = init), so callers such as mocha's global setup are not held up;
#    everything lives in CEPH_DIR and every command gets `-c $CEPH_DIR/ceph.conf`,
#    nothing touches /etc/ceph or /var/lib/ceph.
#  * auth = none: no keyrings to make; loopback only and thrown away. radosgw
#    however defaults to msgr2 "secure" mode towards the mon, which needs cephx
#    session keys: with auth none it fails with EACCES (-13) and hangs 300 s,
#    hence `ms mon client mode = crc`.
#  * The OSD uses MemStore (objects in RAM; compiled into Debian's ceph-osd):
#    no loop device, no bluestore mkfs, much faster. Data does not survive stop.
#  * size 1, 8 PGs per pool: a single OSD must satisfy every pool.
#  * All RGW pools are created up front, before the OSD boots, in one `ceph`
#    CLI session, with a 50 ms paxos interval. Left to radosgw-admin/radosgw they
#    are made one at a time (~2 s each: 9 s of a 13 s start), and the bucket
#    pools only on the first CreateBucket, which then has to wait for them.
#  * The zone/zonegroup stay "default"; clients must use path-style addressing
#    (http://127.0.0.1:7480/bucket/key). Any region name in the SigV4 scope works.
#  * A CEPH_DIR path too long for a unix socket (>107 chars) only loses the
#    admin sockets (run/*.asok), which nothing here needs.
set -euo pipefail

CEPH_DIR="${CEPH_DIR:-$PWD/.tmp/ceph}"
case "$CEPH_DIR" in /*) ;; *) CEPH_DIR="$PWD/$CEPH_DIR" ;; esac
RGW_PORT="${RGW_PORT:-7480}"
CEPH_MON_PORT="${CEPH_MON_PORT:-3300}"
CEPH_OSD_MEM="${CEPH_OSD_MEM:-2147483648}"
RGW_DEBUG="${RGW_DEBUG:-1}"
S3_ACCESS_KEY_ID="${S3_ACCESS_KEY_ID:-qspooltestaccesskey}"
S3_SECRET_ACCESS_KEY="${S3_SECRET_ACCESS_KEY:-qspooltestsecretkey0123456789abcdefghij}"
S3_REGION="${S3_REGION:-us-east-1}"
S3_ENDPOINT="http://127.0.0.1:${RGW_PORT}"

CONF="$CEPH_DIR/ceph.conf"
LOG="$CEPH_DIR/log"
RUN="$CEPH_DIR/run"
MARKER="$CEPH_DIR/.qspool-ceph-rgw" # stop only deletes a directory that has it
DAEMONS="client.rgw osd.0 mon.a"    # pid file names, in stop order
RGW_POOLS=".rgw.root default.rgw.control default.rgw.meta default.rgw.log
  default.rgw.buckets.index default.rgw.buckets.data default.rgw.buckets.non-ec"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/services/common.sh
. "$SCRIPT_DIR/common.sh"
T0=$SECONDS

say() { echo "ceph-rgw: $*" >&2; }

# Timeline of `start` in log/start.log, for finding out where the seconds go.
step() { echo "$(date +%T.%3N) +$((SECONDS - T0))s $*" >>"$LOG/start.log"; }

# fail MESSAGE [LOGFILE...]: print the tail of the given logs (default: all), exit 1.
fail() {
  say "ERROR: $1"
  shift
  local f files=("$@")
  [ "${#files[@]}" -gt 0 ] || files=("$LOG"/*)
  for f in "${files[@]}"; do
    [ -s "$f" ] || continue
    echo "----- tail -n 20 $f -----" >&2
    tail -n 20 "$f" >&2
  done
  say "all logs: $LOG (daemons killed; the next start or stop deletes them)"
  kill_daemons
  exit 1
}

print_env() {
  local pre=""
  [ "${1:-}" = "--export" ] && pre="export "
  cat <<EOF
${pre}S3_ENDPOINT=$S3_ENDPOINT
${pre}S3_ACCESS_KEY_ID=$S3_ACCESS_KEY_ID
${pre}S3_SECRET_ACCESS_KEY=$S3_SECRET_ACCESS_KEY
${pre}S3_REGION=$S3_REGION
EOF
}

pid_of() { [ -s "$RUN/$1.pid" ] && cat "$RUN/$1.pid"; }

# A pid from a pid file is only ours if its command line names our ceph.conf
# (pids get reused after a reboot or a kill -9).
ours() { running "$1" && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "-c $CONF "; }

alive() { local p; p="$(pid_of "$1")" && ours "$p"; }

# A signed S3 request (ListBuckets) with the test user's keys returns 200.
s3_ok() {
  S3_ENDPOINT="$S3_ENDPOINT" S3_ACCESS_KEY_ID="$S3_ACCESS_KEY_ID" \
    S3_SECRET_ACCESS_KEY="$S3_SECRET_ACCESS_KEY" S3_REGION="$S3_REGION" \
    timeout 10 node "$SCRIPT_DIR/check-s3-conditional.mjs" --ping >/dev/null 2>&1
}

ceph_cli() { timeout 30 ceph -c "$CONF" --connect-timeout 15 "$@"; }

write_conf() {
  cat >"$CONF" <<EOF
[global]
fsid = $1
mon host = v2:127.0.0.1:$CEPH_MON_PORT
public addr = 127.0.0.1
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
keyring = /dev/null
run dir = $RUN
admin socket = $RUN/\$name.asok
pid file = $RUN/\$name.pid
log file = $LOG/\$name.log
mon cluster log file = $LOG/cluster.log
log to stderr = false
err to stderr = true
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
# the disk may be fuller than Ceph likes; the mon must not refuse to run
mon data avail warn = 1
mon data avail crit = 0

[mon]
mon data = $CEPH_DIR/mon.\$id
# commit map changes every 50 ms instead of every 1 s (single mon)
paxos propose interval = 0.05

[osd]
osd data = $CEPH_DIR/osd.\$id
osd objectstore = memstore
memstore device bytes = $CEPH_OSD_MEM
osd op num shards = 1
osd op num threads per shard = 2

[client.rgw]
ms mon client mode = crc
client mount timeout = 30
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT tcp_nodelay=1
rgw data = $CEPH_DIR/rgw
debug rgw = $RGW_DEBUG/5
rgw enable usage log = false
rgw enable ops log = false
EOF
}

start() {
  if alive mon.a && alive osd.0 && alive client.rgw && s3_ok; then
    say "already running at $S3_ENDPOINT (state in $CEPH_DIR)"
    return 0
  fi
  # Half-started or stale state: start from scratch (it is throwaway anyway).
  stop_all
  local port
  for port in "$RGW_PORT" "$CEPH_MON_PORT"; do
    if port_busy "$port"; then
      say "ERROR: port 127.0.0.1:$port is in use by another process; set RGW_PORT / CEPH_MON_PORT"
      exit 1
    fi
  done
  mkdir -p "$LOG" "$RUN" "$CEPH_DIR/mon.a" "$CEPH_DIR/osd.0" "$CEPH_DIR/rgw"
  touch "$MARKER"
  T0=$SECONDS
  local fsid osd_uuid
  fsid="$(cat /proc/sys/kernel/random/uuid)"
  osd_uuid="$(cat /proc/sys/kernel/random/uuid)"
  write_conf "$fsid"

  step "monitor"
  local out="$LOG/setup.out" dout="$LOG/daemons.out"
  monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$CEPH_MON_PORT]" "$CEPH_DIR/monmap" \
    >>"$out" 2>&1 || fail "monmaptool failed" "$out"
  ceph-mon -c "$CONF" -i a --mkfs --monmap "$CEPH_DIR/monmap" >>"$out" 2>&1 \
    || fail "ceph-mon --mkfs failed" "$out"
  ceph-mon -c "$CONF" -i a </dev/null 9>&- >>"$dout" 2>&1 || fail "ceph-mon did not start" "$dout" "$LOG/mon.a.log"

  step "osd + pools"
  # The OSD's mkfs (~1 s) runs meanwhile: it needs the mon up, not osd id 0.
  ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$osd_uuid" </dev/null 9>&- >"$LOG/osd-mkfs.out" 2>&1 &
  local mkfs_pid=$!
  # Register OSD id 0 and create the pools in one CLI session (commands on
  # stdin; each `ceph` invocation costs ~0.5 s of Python start-up).
  {
    echo "osd new $osd_uuid 0"
    local pool
    for pool in $RGW_POOLS; do
      echo "osd pool create $pool 8 8"
    done
  } | ceph_cli >>"$out" 2>&1 || fail "ceph osd new / osd pool create failed" "$out" "$LOG/mon.a.log"
  # The CLI reads stdin to the end even when a command fails: check the result.
  [ "$(grep -c "^pool '.*' created" "$out")" -eq "$(echo $RGW_POOLS | wc -w)" ] \
    || fail "not all RGW pools were created" "$out"
  wait "$mkfs_pid" || fail "ceph-osd --mkfs failed" "$LOG/osd-mkfs.out"
  ceph-osd -c "$CONF" -i 0 </dev/null 9>&- >>"$dout" 2>&1 || fail "ceph-osd did not start" "$dout" "$LOG/osd.0.log"

  step "S3 user"
  # radosgw-admin waits for the OSD itself and sets up the default realm/zone.
  timeout 60 radosgw-admin -c "$CONF" user create --uid=qspool --display-name=qspool \
    --access-key="$S3_ACCESS_KEY_ID" --secret-key="$S3_SECRET_ACCESS_KEY" >>"$out" 2>&1 \
    || fail "radosgw-admin user create failed" "$out" "$LOG/osd.0.log"

  start_gateway
  say "up at $S3_ENDPOINT in $((SECONDS - T0))s (state in $CEPH_DIR)"
}

# Starts radosgw on the running cluster and waits until S3 answers.
start_gateway() {
  local dout="$LOG/daemons.out" i
  step "radosgw"
  radosgw -c "$CONF" -n client.rgw </dev/null 9>&- >>"$dout" 2>&1 \
    || fail "radosgw did not start" "$dout" "$LOG/client.rgw.log"
  for i in $(seq 1 150); do
    if s3_ok; then
      step "S3 answers"
      return 0
    fi
    alive client.rgw || fail "radosgw exited" "$dout" "$LOG/client.rgw.log"
    sleep 0.2
  done
  fail "S3 did not answer at $S3_ENDPOINT within 30 s" "$LOG/client.rgw.log"
}

# SIGKILLs radosgw alone (the cluster keeps its data): S3 refuses connections until gateway-start.
stop_gateway() {
  local pid
  pid="$(pid_of client.rgw)" && ours "$pid" || return 0
  kill -9 "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do running "$pid" || break; sleep 0.1; done
  rm -f "$RUN/client.rgw.pid"
}

# Kill our daemons: by pid file, and by their exact `-c $CONF` command line in
# case the pid files are gone.
kill_daemons() {
  local n pid pids=()
  for n in $DAEMONS; do
    pid="$(pid_of "$n")" && ours "$pid" && pids+=("$pid")
  done
  if command -v pgrep >/dev/null 2>&1; then
    for n in radosgw ceph-osd ceph-mon; do
      for pid in $(pgrep -f -x "$n -c $CONF .*" || true); do pids+=("$pid"); done
    done
  fi
  if [ "${#pids[@]}" -gt 0 ]; then
    # SIGKILL right away: the state is thrown away anyway, so a clean shutdown buys
    # nothing, and radosgw/ceph-osd can take seconds to exit on SIGTERM.
    kill -9 "${pids[@]}" 2>/dev/null || true
    for _ in $(seq 1 100); do
      local left=0
      for pid in "${pids[@]}"; do running "$pid" && left=1; done
      [ "$left" -eq 0 ] && break
      sleep 0.1
    done
  fi
}

# Kill the daemons and delete CEPH_DIR (only if this script made it).
stop_all() {
  kill_daemons
  remove_state_dir "$CEPH_DIR" "$MARKER"
}

lock() { lock_state_dir "$CEPH_DIR" 120; }

case "${1:-}" in
  start) lock; start ;;
  stop) lock; stop_all; say "stopped" ;;
  gateway-stop) stop_gateway ;;
  gateway-start) T0=$SECONDS; start_gateway ;;
  env) print_env "${2:-}" ;;
  status) s3_ok ;;
  *) echo "usage: $0 start|stop|env [--export]|status|gateway-stop|gateway-start" >&2; exit 2 ;;
esac
