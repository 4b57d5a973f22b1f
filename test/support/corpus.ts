// The corpus of real payloads (test/corpus, copied from the project's shared corpus) and a checker for the
// `expect` entries they carry, e.g. "results[0].data.memory[0]": "50".
import { readdirSync, readFileSync } from 'node:fs';

export interface CorpusEntry {
  file: string;
  backend: string;
  payload: Record<string, never>;
  expect: Record<string, unknown>;
}

const dir = new URL('../corpus/payloads/', import.meta.url);

export function corpusEntries(prefix: string, backend?: string): CorpusEntry[] {
  return readdirSync(dir)
    .filter((file) => file.startsWith(prefix))
    .map((file) => ({ file, ...(JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as Omit<CorpusEntry, 'file'>) }))
    .filter((entry) => !backend || entry.backend === backend);
}

function at(root: unknown, path: string): unknown {
  let value = root;
  for (const [, key, index] of path.matchAll(/\.?([a-z_]+)|\[(\d+)\]/g)) {
    value = (value as Record<string, unknown>)?.[key ?? Number(index)];
  }
  return value;
}

/** Result-level expectations this corpus states; returns the keys it checked (unknown key shapes throw). */
export function checkExpectations(entry: CorpusEntry, result: Record<string, unknown>, assertEqual: (actual: unknown, expected: unknown, key: string) => void): string[] {
  const checked: string[] = [];
  for (const [key, expected] of Object.entries(entry.expect)) {
    if (['post_job', 'final_status', 'with_current_sqooler_example_spoolers', 'after_spooler', 'result_job_id'].includes(key)) continue;
    let match: RegExpMatchArray | null;
    if ((match = key.match(/^len\((.+)\)$/))) assertEqual((at(result, match[1]!) as unknown[]).length, expected, key);
    else if ((match = key.match(/^every (.+) entry$/))) {
      for (const item of at(result, match[1]!) as unknown[]) assertEqual(item, expected, key);
    } else if ((match = key.match(/^(.+) == (.+)$/))) assertEqual(JSON.stringify(at(result, match[1]!)) === JSON.stringify(at(result, match[2]!)), expected, key);
    else assertEqual(at(result, key), expected, key);
    checked.push(key);
  }
  return checked;
}
