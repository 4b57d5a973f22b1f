// Storage sits below the server: the server, the spoolers and the CLI build on it, so a storage module that imports
// from server/ ties every spooler and migration to the server's code (and invites import cycles). Tests may.
import { expect } from 'chai';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const STORAGE = dirname(fileURLToPath(import.meta.url));
const SERVER = resolve(STORAGE, '../server');
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm;

describe('storage layering', () => {
  it('imports nothing from the server', async () => {
    const sources = (await readdir(STORAGE, { recursive: true })).filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'));
    const reaching: string[] = [];
    for (const file of sources) {
      const text = await readFile(join(STORAGE, file), 'utf8');
      for (const [, specifier] of text.matchAll(SPECIFIER)) {
        const target = resolve(STORAGE, dirname(file), specifier!);
        if (specifier!.startsWith('.') && !relative(SERVER, target).startsWith('..')) reaching.push(`${file}: ${specifier}`);
      }
    }
    expect(reaching).to.deep.equal([]);
  });
});
