// Who is calling the native API. Credentials come only from `Authorization: Bearer <credential>`: either an API
// token (32 hex, as qlued issues them) or an access token (a JWT from POST /api/v1/auth/token, HS256, verified by
// passport-jwt; the key comes from jwt-secret.ts). Every failure is a 401 with a code saying which: expired, invalid,
// revoked, disabled. A token without `exp` is refused: it would never expire; one without `jti` too: logging out
// could not end it (services/sessions.ts).
import { randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import jwt from 'jsonwebtoken';
import passport from 'passport';
import { ExtractJwt, Strategy as JwtStrategy } from 'passport-jwt';
import type { AccessToken } from '../../schemas/accounts.ts';
import { QspoolError, RequestValidationError, UnauthorizedError } from '../../schemas/errors.ts';
import { isSameAccount } from '../services/accounts.ts';
import { isSessionClaims, type SessionClaims, type Sessions } from '../services/sessions.ts';
import { isApiTokenShaped } from '../services/tokens.ts';
import type { User, UserService } from '../services/users.ts';

/** What our JWTs carry. `ver` is the credential version: a password change makes every older JWT invalid. */
interface Claims {
  sub: string;
  iat: number;
  /** Required: jsonwebtoken would accept a token without one forever. */
  exp?: number;
  /** Required: the session's id, by which logging out ends it. */
  jti?: string;
  ver: number;
  /** The account id of the user it was issued to (absent: one made before ids); `sub` alone is only a name. */
  acct?: string;
}

const credentialVersion = (user: User) => (user.passwordChangedAt ? Date.parse(user.passwordChangedAt) : 0);

const challenge = (message: string, code: string) => new UnauthorizedError(message, code);
const noCredentials = () =>
  challenge('Authentication required: send Authorization: Bearer <API token or access token>', 'unauthorized');

const NOT_AN_ACCESS_TOKEN = 'The access token is malformed or not signed by this server';
// A credential that is not 32 hex digits reaches the JWT check, so a mistyped API token is refused there too: the
// message must not speak of log-in tokens alone.
const NEITHER_CREDENTIAL =
  'The bearer credential is neither an API token (32 hex characters) nor an access token from logging in (a JWT signed by this server)';

/** jsonwebtoken's failures (passed on by passport-jwt) in our words; `unreadable` says what a credential it cannot verify is not. */
function jwtFailure(info: unknown, unreadable: string): QspoolError {
  if (info instanceof QspoolError) return info;
  const name = info instanceof Error ? info.name : '';
  if (name === 'TokenExpiredError') return challenge('The access token has expired; log in again', 'token_expired');
  return challenge(unreadable, 'invalid_token');
}

/** The session an access token is: refused without an expiry, or without an id by which logging out could end it. */
function sessionOf(claims: Claims): SessionClaims {
  if (typeof claims.exp !== 'number') throw challenge('The access token has no expiry (exp); log in again', 'invalid_token');
  if (!isSessionClaims(claims)) throw challenge('The access token lacks a user (sub) or a session id (jti), or has a malformed one; log in again', 'invalid_token');
  return claims;
}

/** The credential of an `Authorization: Bearer <credential>` header (scheme in any case, spaces around it ignored). */
export function bearerCredential(header: string): string | undefined {
  const [scheme, credential, extra] = header.trim().split(/ +/);
  return scheme?.toLowerCase() === 'bearer' && credential && extra === undefined ? credential : undefined;
}

export class BearerAuth {
  private readonly passport = new passport.Passport();

  constructor(
    private readonly users: UserService,
    private readonly sessions: Sessions,
    private readonly secret: string,
    private readonly ttlSeconds: number,
  ) {
    const strategy = new JwtStrategy(
      { jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(), secretOrKey: secret, algorithms: ['HS256'] },
      (claims: Claims, done: (error: unknown, user?: User | false, info?: unknown) => void) => {
        // A refused claim is a failed login (info); anything else (storage down) is an error passed through.
        this.userFor(claims).then(
          (user) => done(null, user),
          (error: unknown) => (error instanceof UnauthorizedError ? done(null, false, error) : done(error)),
        );
      },
    );
    this.passport.use('jwt', strategy);
  }

  issue(user: User): AccessToken {
    const claims = { sub: user.username, ver: credentialVersion(user), ...(user.accountId === undefined ? {} : { acct: user.accountId }) };
    const token = jwt.sign(claims, this.secret, { algorithm: 'HS256', expiresIn: this.ttlSeconds, jwtid: randomBytes(8).toString('hex') });
    return { access_token: token, token_type: 'Bearer', expires_in: this.ttlSeconds };
  }

  /** The caller; undefined when the request carries no Authorization header at all. */
  async caller(ctx: Context): Promise<User | undefined> {
    const header = ctx.get('authorization');
    if (!header) return undefined;
    const credential = bearerCredential(header);
    if (!credential) throw noCredentials();
    if (isApiTokenShaped(credential)) return this.apiTokenUser(credential);
    return this.jwtUser(ctx);
  }

  async required(ctx: Context): Promise<User> {
    const user = await this.caller(ctx);
    if (!user) throw noCredentials();
    return user;
  }

  private async apiTokenUser(token: string): Promise<User> {
    const user = await this.users.tokenUser(token);
    if (!user) throw challenge('Unknown or revoked API token', 'invalid_token');
    if (user.disabled) throw challenge('This account is disabled', 'user_disabled');
    return user;
  }

  /**
   * Ends the session of the request's access token (logging out) on every server of the store. A token already ended,
   * expired, or of a disabled user is ended all the same (its user might be enabled again): only one this server did
   * not sign, or no access token at all, is refused. Answers whose session it was.
   */
  async endSession(ctx: Context): Promise<string> {
    const header = ctx.get('authorization');
    const credential = header ? bearerCredential(header) : undefined;
    if (!credential) throw noCredentials();
    if (isApiTokenShaped(credential)) {
      const msg = 'This is an API token, not an access token from logging in: revoke it with DELETE /api/v1/tokens/{id}';
      throw new RequestValidationError([{ type: 'api_token', loc: ['header', 'authorization'], msg }]);
    }
    let claims: Claims;
    try {
      claims = jwt.verify(credential, this.secret, { algorithms: ['HS256'], ignoreExpiration: true }) as Claims;
    } catch (error) {
      throw jwtFailure(error, NOT_AN_ACCESS_TOKEN);
    }
    const session = sessionOf(claims);
    await this.sessions.end(session);
    return session.sub;
  }

  private async userFor(claims: Claims): Promise<User> {
    const state = await this.sessions.state(sessionOf(claims));
    if (state.ended) throw challenge('This access token was ended by logging out; log in again', 'token_revoked');
    const { user } = state;
    if (!user) throw challenge('The access token names no user', 'invalid_token');
    if (!isSameAccount({ accountId: claims.acct }, user)) throw challenge('The access token was issued to an earlier account of this name; log in again', 'token_revoked');
    if (user.disabled) throw challenge('This account is disabled', 'user_disabled');
    if (claims.ver !== credentialVersion(user)) throw challenge('The password changed since this access token was issued', 'token_revoked');
    return user;
  }

  private jwtUser(ctx: Context): Promise<User> {
    return new Promise((resolve, reject) => {
      const verify = this.passport.authenticate('jwt', { session: false }, (error: unknown, user: User | false, info: unknown) => {
        if (error) reject(error instanceof Error ? error : new Error(String(error)));
        else if (user) resolve(user);
        else reject(jwtFailure(info, NEITHER_CREDENTIAL));
      });
      verify(ctx.req, ctx.res, (error: unknown) => reject(error instanceof Error ? error : new Error(String(error))));
    });
  }
}
