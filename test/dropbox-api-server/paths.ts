// Dropbox path parsing: "" is the root, "/a/B.txt" a path (matched case-insensitively), "id:..." an id.

/** A parsed slash path. Root has no parts and lower === ''. */
export interface SlashPath {
  kind: 'path';
  /** path_lower form: what Dropbox uses as the identity of an entry. */
  lower: string;
  /** Components as the caller cased them. */
  parts: string[];
}

export interface IdPath {
  kind: 'id';
  id: string;
}

export type ParsedPath = SlashPath | IdPath;

/** The path is syntactically acceptable to the route but names nothing sensible ("/a//b", "/a/"). */
export class MalformedPathError extends Error {}

export const ROOT: SlashPath = { kind: 'path', lower: '', parts: [] };

export function lowerOf(parts: readonly string[]): string {
  return parts.length === 0 ? '' : `/${parts.join('/')}`.toLowerCase();
}

export function parsePath(raw: string): ParsedPath {
  if (raw === '') return ROOT;
  if (raw.startsWith('id:')) {
    if (raw.length === 3) throw new MalformedPathError('empty id');
    return { kind: 'id', id: raw };
  }
  if (!raw.startsWith('/')) throw new MalformedPathError(`not a path: ${raw}`);
  const parts = raw.slice(1).split('/');
  // Empty components come from "//" or a trailing slash; "." and ".." are not valid names either.
  if (parts.some((p) => p === '' || p === '.' || p === '..')) throw new MalformedPathError(`malformed path: ${raw}`);
  return { kind: 'path', lower: lowerOf(parts), parts };
}

export function parentLower(lower: string): string {
  const i = lower.lastIndexOf('/');
  return i <= 0 ? '' : lower.slice(0, i);
}

export function lastComponent(display: string): string {
  return display.slice(display.lastIndexOf('/') + 1);
}

/** Is `lower` the folder `base` itself or anywhere below it? Root contains everything. */
export function isWithin(lower: string, base: string): boolean {
  return base === '' || lower === base || lower.startsWith(`${base}/`);
}

/**
 * Autorename candidates as Dropbox documents them: add/overwrite append a number
 * ("document (1).txt"), update appends "conflicted copy".
 */
export function autorenameCandidate(name: string, attempt: number, style: 'number' | 'conflicted'): string {
  const dot = name.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  if (style === 'number') return `${stem} (${attempt})${ext}`;
  return attempt === 1 ? `${stem} (conflicted copy)${ext}` : `${stem} (conflicted copy ${attempt})${ext}`;
}
