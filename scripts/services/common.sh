# shellcheck shell=bash
# What the throwaway-service scripts (ceph-rgw.sh, redis.sh) share: process and port checks, and the guarded
# clean-up of their state directory. Sourced, not run; the sourcing script defines say() (its log prefix).

# Live (not zombie) process? (reads /proc: no dependency on procps)
running() {
  local st
  st="$(sed -n 's/^.*) \([A-Z]\).*$/\1/p' "/proc/$1/stat" 2>/dev/null)" || return 1
  [ -n "$st" ] && [ "$st" != Z ]
}

# Something accepts TCP connections on 127.0.0.1:$1 (bash's /dev/tcp, no extra tools).
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# remove_state_dir DIR MARKER: delete DIR only if this script made it (MARKER is in it) or it is empty, so that
# a setting pointing at someone's real directory never deletes it.
remove_state_dir() {
  [ -d "$1" ] || return 0
  if [ -e "$2" ] || [ -z "$(ls -A "$1")" ]; then
    rm -rf "$1"
  else
    say "ERROR: $1 is not empty and was not made by this script; not deleting it"
    exit 1
  fi
}

# lock_state_dir DIR SECONDS: one start/stop at a time per DIR (e.g. two test runs starting at once). The lock
# file sits next to DIR because stop deletes DIR; daemons are started with `9>&-` so that they do not inherit
# (and hold) the lock.
lock_state_dir() {
  mkdir -p "$(dirname "$1")"
  exec 9>"$1.lock"
  flock -w "$2" 9 || { say "ERROR: could not lock $1.lock within $2 s"; exit 1; }
}
