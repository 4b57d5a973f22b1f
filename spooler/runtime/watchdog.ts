// A runtime's process group must not outlive the spooler that started it, however the spooler ends. SIGKILL or the
// OOM killer leave the spooler no chance to signal the group, and the group, in a session of its own, gets no hangup.
// So the group starts with a watchdog: before the runtime's command runs, its shell starts a background shell in the
// same group that ignores SIGTERM and reads fd 3, a pipe whose other end only the spooler holds (the runtime's command
// gets fd 3 closed). Once the spooler is gone the pipe ends, and the watchdog sends its group SIGTERM, then SIGKILL
// after the grace. While the spooler lives, the watchdog goes with the rest of the group when the runtime exits.

/** The file descriptor of the watchdog's lifeline in the runtime's shell. */
export const LIFELINE_FD = 3;

const SCRIPT =
  `(trap '' TERM; read _ <&${LIFELINE_FD}; kill -s TERM 0; sleep "$1"; kill -s KILL 0) </dev/null >/dev/null 2>&1 & ` +
  `exec ${LIFELINE_FD}<&-; exec /bin/sh -c "$0"`;

/** The arguments of /bin/sh that run `command` (as `sh -c` would) in a group watched for the spooler's death. */
export function watchedShellArgs(command: string, killGraceMs: number): string[] {
  return ['-c', SCRIPT, command, String(killGraceMs / 1000)];
}
