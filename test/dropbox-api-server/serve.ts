// Runs the local Dropbox API server on its own (for `npm run bench` row 2, which then counts as Dropbox): prints the
// variables that point the bench at it, and serves until stopped. PORT picks the port (default: a free one).
import { startDropboxApiServer } from './index.ts';

const server = await startDropboxApiServer({ port: Number(process.env.PORT ?? 0) });
const { clientId, clientSecret, refreshToken } = server.tokens;
console.log(`DROPBOX_API_URL=${server.url} DROPBOX_APP_KEY=${clientId} DROPBOX_APP_SECRET=${clientSecret} DROPBOX_REFRESH_TOKEN=${refreshToken}`);
// The request log is for tests that assert on it; a long bench would only grow it.
setInterval(() => (server.requests.log.length = 0), 5000).unref();
process.once('SIGINT', () => void server.close());
process.once('SIGTERM', () => void server.close());
