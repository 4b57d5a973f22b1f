// What a command prints on standard output: JSON for scripts (`--json`), or text for people.

export interface JsonOption {
  json?: boolean;
}

export function print(options: JsonOption, data: unknown, human: () => string): void {
  process.stdout.write(options.json ? `${JSON.stringify(data, null, 2)}\n` : `${human()}\n`);
}
