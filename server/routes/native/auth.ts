// /api/v1/auth/token: password login, answered with a short-lived access token (JWT); logging out ends that token.
import { accessTokenSchema, loginSchema, type Login } from '../../../schemas/accounts.ts';
import type { NativeDeps } from './index.ts';
import { bodySchema, documented, errorBody, operation, type Operation } from './operation.ts';

const login = bodySchema<Login>('Login', loginSchema);

/** The refusal of a password check (server/limits/password-attempts.ts), for every route that checks one. */
export const PASSWORD_ATTEMPTS_SPENT =
  'QSPOOL_PASSWORD_ATTEMPTS_PER_MINUTE attempts in the last minute from this address, or for this account from addresses it has not logged in from within 30 days.';

export function authOperations(deps: NativeDeps): Operation[] {
  return [
    operation({
      method: 'post',
      path: '/auth/token',
      operationId: 'login',
      summary: 'Log in: exchange username and password for an access token',
      description: 'Send the token as `Authorization: Bearer <access_token>`. It expires after `expires_in` seconds.',
      tag: 'Authentication',
      auth: 'none',
      body: login,
      responses: {
        200: { description: 'An access token.', schema: documented('AccessToken', accessTokenSchema) },
        401: { description: 'Wrong username or password, or a disabled user.', schema: errorBody },
        429: { description: PASSWORD_ATTEMPTS_SPENT, schema: errorBody, headers: { 'Retry-After': 'Seconds to wait.' } },
      },
      async handle(ctx, { body }) {
        await deps.passwordAttempts.charge(ctx.ip, body.username);
        const user = await deps.users.login(body.username, body.password);
        await deps.passwordAttempts.loggedIn(ctx.ip, user.username);
        ctx.state.log.info({ user: user.username }, 'logged in');
        ctx.set('Cache-Control', 'no-store');
        ctx.body = deps.auth.issue(user);
      },
    }),
    operation({
      method: 'delete',
      path: '/auth/token',
      operationId: 'logout',
      summary: 'Log out: end the access token sent, for every server',
      description:
        'Send the access token itself as `Authorization: Bearer <access_token>`; from then on every server refuses it ' +
        '(401 `token_revoked`). Ending a token twice, or once it expired, is fine. API tokens are revoked with DELETE /api/v1/tokens/{id}.',
      tag: 'Authentication',
      auth: 'own',
      responses: {
        204: { description: 'The token no longer works (also when it had already ended or expired).' },
        401: { description: 'No access token, or one this server did not sign.', schema: errorBody },
        422: { description: 'An API token was sent instead of an access token.', schema: errorBody },
      },
      async handle(ctx) {
        ctx.state.log.info({ user: await deps.auth.endSession(ctx) }, 'logged out');
        ctx.status = 204;
      },
    }),
  ];
}
