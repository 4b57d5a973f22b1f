// Re-export of the SDK fetch adapter, which lives with the Dropbox provider so production code can use it
// (production code must not import from test/). Kept so existing imports from this folder keep working.
export { createDropboxFetch, rewriteDropboxUrl } from '../../storage/dropbox/fetch.ts';
export type { DropboxFetch, DropboxFetchOptions, DropboxFetchResponse } from '../../storage/dropbox/fetch.ts';
