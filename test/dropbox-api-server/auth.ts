// OAuth side of the fake server: /oauth2/token (refresh_token and authorization_code grants) and Bearer checks.
import { randomBytes } from 'node:crypto';
import { authError, badInput } from './errors.ts';
import { jsonReply } from './http-util.ts';
import type { HttpReply } from './http-util.ts';

export interface TokenOptions {
  clientId?: string;
  clientSecret?: string;
  refreshToken?: string;
  /** Lifetime of issued access tokens; Dropbox's short-lived tokens last 14400 s (4 h). */
  accessTokenTtlSeconds?: number;
}

export type TokenState = 'valid' | 'expired' | 'unknown';

/** Token bookkeeping, exposed to tests as `server.tokens` so they can expire or revoke things. */
export class TokenManager {
  readonly clientId: string;
  readonly clientSecret: string;
  /** The one refresh token the server accepts; assign to rotate it (old one becomes invalid_grant). */
  refreshToken: string;
  accessTokenTtlSeconds: number;
  /** How many access tokens /oauth2/token handed out. */
  refreshCount = 0;
  private readonly accessTokens = new Map<string, number>();
  private readonly codes = new Set<string>();

  constructor(options: TokenOptions = {}) {
    this.clientId = options.clientId ?? 'test-app-key';
    this.clientSecret = options.clientSecret ?? 'test-app-secret';
    this.refreshToken = options.refreshToken ?? `test-refresh-${randomBytes(12).toString('base64url')}`;
    this.accessTokenTtlSeconds = options.accessTokenTtlSeconds ?? 14400;
  }

  /** Mints an access token directly (as if an OAuth flow had happened earlier). */
  issueAccessToken(ttlSeconds: number = this.accessTokenTtlSeconds): string {
    // Real short-lived tokens start with "sl."; the rest is opaque.
    const token = `sl.${randomBytes(48).toString('base64url')}`;
    this.accessTokens.set(token, Date.now() + ttlSeconds * 1000);
    return token;
  }

  /** An authorization code for the authorization_code grant (DropboxAuth.getAccessTokenFromCode). */
  issueAuthorizationCode(): string {
    const code = randomBytes(24).toString('base64url');
    this.codes.add(code);
    return code;
  }

  /** Consumes a code from issueAuthorizationCode(); codes are single-use, as in OAuth. */
  takeAuthorizationCode(code: string): boolean {
    return this.codes.delete(code);
  }

  /** Makes every access token issued so far answer 401 expired_access_token. */
  expireAccessTokens(): void {
    for (const token of this.accessTokens.keys()) this.accessTokens.set(token, 0);
  }

  /** Makes one token (or all) unknown: 401 invalid_access_token, as after revocation. */
  revokeAccessTokens(token?: string): void {
    if (token === undefined) this.accessTokens.clear();
    else this.accessTokens.delete(token);
  }

  state(token: string): TokenState {
    const expiresAt = this.accessTokens.get(token);
    if (expiresAt === undefined) return 'unknown';
    return Date.now() < expiresAt ? 'valid' : 'expired';
  }
}

/** Characters a Dropbox token can contain; anything else is "malformed" (400), not "invalid" (401). */
const TOKEN_SYNTAX = /^[A-Za-z0-9._~+/=-]+$/;

/**
 * Checks the Authorization header (or `authorization` URL parameter) of a /2/ call. Order and
 * status codes follow Dropbox: a missing or unparsable header is a 400 with a text body; a
 * well-formed but unknown token is 401 invalid_access_token; an expired one 401 expired_access_token.
 */
export function checkBearer(route: string, header: string | undefined, tokens: TokenManager): void {
  if (header === undefined || header === '') {
    throw badInput(route, 'Must provide HTTP header "Authorization" or URL parameter "authorization".');
  }
  const match = /^Bearer (.+)$/.exec(header);
  if (!match?.[1]) {
    throw badInput(route, `Invalid authorization value in HTTP header "Authorization": "${header}".  Expecting "Bearer <oauth2-access-token>".`);
  }
  const token = match[1].trim();
  if (!TOKEN_SYNTAX.test(token)) throw badInput(route, 'The given OAuth 2 access token is malformed.');
  const state = tokens.state(token);
  if (state === 'unknown') throw authError('invalid_access_token');
  if (state === 'expired') throw authError('expired_access_token');
}

function oauthError(error: string, description: string, status = 400): HttpReply {
  return jsonReply(status, { error, error_description: description });
}

/**
 * POST /oauth2/token. Parameters may come in the query string (what the JS SDK sends: it puts
 * everything in the URL and sends no body, with a JSON Content-Type) or as a form-encoded body;
 * client credentials as client_id/client_secret or HTTP Basic auth.
 */
export function handleTokenRequest(
  method: string,
  query: URLSearchParams,
  body: Buffer,
  headers: { authorization?: string; contentType?: string },
  tokens: TokenManager,
): HttpReply {
  if (method !== 'POST') return oauthError('invalid_request', 'POST required', 405);
  const params = new URLSearchParams(query);
  if (body.length > 0 && (headers.contentType ?? '').startsWith('application/x-www-form-urlencoded')) {
    for (const [key, value] of new URLSearchParams(body.toString('utf8'))) params.set(key, value);
  }
  let clientId = params.get('client_id') ?? undefined;
  let clientSecret = params.get('client_secret') ?? undefined;
  const basic = /^Basic (.+)$/.exec(headers.authorization ?? '');
  if (basic?.[1]) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    clientId = decoded.slice(0, colon < 0 ? undefined : colon);
    clientSecret = colon < 0 ? undefined : decoded.slice(colon + 1);
  }

  const grantType = params.get('grant_type');
  if (grantType === null) return oauthError('invalid_request', 'Missing grant_type');
  if (grantType !== 'refresh_token' && grantType !== 'authorization_code') {
    return oauthError('unsupported_grant_type', `grant_type "${grantType}" is not supported`);
  }
  if (clientId === undefined || clientSecret === undefined) {
    return oauthError('invalid_request', 'No auth function available for given request');
  }
  if (clientId !== tokens.clientId || clientSecret !== tokens.clientSecret) {
    return oauthError('invalid_client', 'Invalid client_id or client_secret');
  }

  if (grantType === 'refresh_token') {
    const refreshToken = params.get('refresh_token');
    if (refreshToken === null || refreshToken === '') return oauthError('invalid_request', 'Missing refresh_token');
    if (!TOKEN_SYNTAX.test(refreshToken)) return oauthError('invalid_grant', 'refresh token is malformed');
    if (refreshToken !== tokens.refreshToken) return oauthError('invalid_grant', 'refresh token is invalid or revoked');
    tokens.refreshCount += 1;
    const accessToken = tokens.issueAccessToken();
    return jsonReply(200, { access_token: accessToken, token_type: 'bearer', expires_in: tokens.accessTokenTtlSeconds });
  }

  const code = params.get('code');
  if (code === null || !tokens.takeAuthorizationCode(code)) return oauthError('invalid_grant', "code doesn't exist or has expired");
  tokens.refreshCount += 1;
  return jsonReply(200, {
    access_token: tokens.issueAccessToken(),
    token_type: 'bearer',
    expires_in: tokens.accessTokenTtlSeconds,
    refresh_token: tokens.refreshToken,
    scope: 'files.content.read files.content.write files.metadata.read files.metadata.write',
    uid: '12345',
    account_id: 'dbid:test-account',
  });
}
