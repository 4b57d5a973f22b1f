// Where the Dropbox provider keeps each document: `<base>/<namespace segments>/<key>.json`, like qlued's Dropbox
// layout. Dropbox paths are case-insensitive while qspool keys are not, so capitals are written as `+` plus the
// lower-case letter ('Alice' -> '+alice.json'); `+` is not a key character, so decoding is unambiguous.
import { InvalidKeyError } from '../../schemas/errors.ts';
import { assertKey, isKey, assertNamespace } from '../keys.ts';

const SUFFIX = '.json';
/** Dropbox refuses path components longer than this. */
const MAX_NAME = 255;

/** `/qspool` → `/qspool`; `qspool/` → `/qspool`; `/` or '' → the app folder's root. */
function normaliseBasePath(basePath = '/qspool'): string {
  const parts = basePath.split('/').filter(Boolean);
  for (const part of parts) {
    if (part === '.' || part === '..') throw new Error(`Invalid Dropbox base path ${JSON.stringify(basePath)}`);
  }
  return parts.length === 0 ? '' : `/${parts.join('/')}`;
}

/** One document: its Dropbox path, and the namespace and key it is addressed by. */
export interface Address {
  path: string;
  namespace: string;
  key: string;
}

export const label = (at: Address) => `${at.namespace}/${at.key}`;

function encodeKey(key: string): string {
  return key.replace(/[A-Z]/g, (letter) => `+${letter.toLowerCase()}`);
}

/** The key a listed file name stands for, or undefined for names qspool did not write. */
export function decodeName(name: string): string | undefined {
  if (!name.toLowerCase().endsWith(SUFFIX)) return undefined;
  const key = name
    .slice(0, -SUFFIX.length)
    .toLowerCase()
    .replace(/\+([a-z])/g, (_match, letter: string) => letter.toUpperCase());
  return isKey(key) ? key : undefined;
}

export class DropboxLayout {
  readonly base: string;

  constructor(basePath?: string) {
    this.base = normaliseBasePath(basePath);
  }

  /** The folder of a namespace (validated first: I8). */
  folder(namespace: string): string {
    assertNamespace(namespace);
    return `${this.base}/${namespace}`;
  }

  /** The file of a document (namespace and key validated first: I8). */
  document(namespace: string, key: string): Address {
    const folder = this.folder(namespace);
    assertKey(key);
    const name = encodeKey(key) + SUFFIX;
    if (name.length > MAX_NAME) throw new InvalidKeyError(`Key too long for Dropbox once capitals are escaped: ${key.slice(0, 40)}…`);
    return { path: `${folder}/${name}`, namespace, key };
  }
}
