// A CLI command run in this process as a user runs it: what it wrote to stdout, and the exit code it set.
// stderr (the status lines of --json runs) is dropped: tests read the documents and tables.

export async function runCommand(command: () => Promise<void>): Promise<{ out: string; code: number }> {
  const write = process.stdout.write;
  const writeErr = process.stderr.write;
  let out = '';
  process.stdout.write = ((chunk: string) => ((out += chunk), true)) as typeof process.stdout.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  process.exitCode = 0;
  try {
    await command();
  } finally {
    process.stdout.write = write;
    process.stderr.write = writeErr;
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { out, code };
}
