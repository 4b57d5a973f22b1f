// Which MongoDB collection holds a namespace: one collection per kind of document, named after the namespace's
// first segment. Kinds qspool does not know share the `documents` collection, so ad-hoc namespaces (tests,
// future features) neither multiply collections nor split a move across two of them.

/**
 * The documented mapping. Every namespace that starts with one of these segments lives in the collection of the
 * same name; the state namespaces `jobs/queued|running|finished|deleted/<backend>` therefore share `jobs`, which is
 * what makes a state change one single-document update.
 */
const KNOWN_KINDS = ['jobs', 'status', 'results', 'heartbeats', 'configs', 'keys', 'users', 'tokens'] as const;

/** Collection for namespaces whose first segment is not a known kind. */
export const FALLBACK_COLLECTION = 'documents';

const known: ReadonlySet<string> = new Set(KNOWN_KINDS);

/** The collection that holds `namespace` (which must already be validated by storage/keys.ts). */
export function collectionFor(namespace: string): string {
  const kind = namespace.split('/', 1)[0]!;
  return known.has(kind) ? kind : FALLBACK_COLLECTION;
}

/** A move is a single atomic update only when source and destination live in the same collection. */
export function sameCollection(from: string, to: string): boolean {
  return collectionFor(from) === collectionFor(to);
}
