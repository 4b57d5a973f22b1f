// /api/v1/tokens: the caller's named API tokens (32 hex, also accepted by the qlued v2/v3 routes).
import { tokenCreateSchema, tokenCreatedSchema, tokenInfoSchema, tokenListSchema, type TokenCreate } from '../../../schemas/accounts.ts';
import type { NativeDeps } from './index.ts';
import { bodySchema, documented, errorBody, operation, type Operation } from './operation.ts';
import { tokenView } from './views.ts';

const tokenCreate = bodySchema<TokenCreate>('TokenCreate', tokenCreateSchema);

export function tokenOperations(deps: NativeDeps): Operation[] {
  const { tokens } = deps.users;
  return [
    operation({
      method: 'post',
      path: '/tokens',
      operationId: 'createToken',
      summary: 'Create a named API token',
      description: 'The secret is in this answer only; store it now.',
      tag: 'API tokens',
      auth: 'required',
      body: tokenCreate,
      responses: {
        201: { description: 'The new token, with its secret.', schema: documented('TokenCreated', tokenCreatedSchema) },
        429: { description: 'Too many live tokens, or too many requests.', schema: errorBody, headers: { 'Retry-After': 'Seconds to wait (rate limit only).' } },
      },
      async handle(ctx, { user, body }) {
        const { token, listing } = await tokens.issue(user, body.name);
        ctx.state.log.info({ user: user.username, tokenId: listing.id }, 'API token created');
        ctx.status = 201;
        ctx.set('Cache-Control', 'no-store');
        ctx.body = { ...tokenView(listing), token };
      },
    }),
    operation({
      method: 'get',
      path: '/tokens',
      operationId: 'listTokens',
      summary: 'The caller\'s API tokens, without secrets',
      tag: 'API tokens',
      auth: 'required',
      responses: { 200: { description: 'Oldest first; revoked ones carry revoked_at.', schema: documented('TokenList', tokenListSchema) } },
      async handle(ctx, { user }) {
        ctx.body = { tokens: (await tokens.list(user)).map(tokenView) };
      },
    }),
    operation({
      method: 'delete',
      path: '/tokens/{id}',
      operationId: 'revokeToken',
      summary: 'Revoke one of the caller\'s API tokens',
      tag: 'API tokens',
      auth: 'required',
      params: { id: tokenInfoSchema.properties.id },
      responses: {
        204: { description: 'Revoked (revoking twice is fine).' },
        404: { description: 'The caller has no token with this id.', schema: errorBody },
      },
      async handle(ctx, { user, params }) {
        const listing = await tokens.revoke(user, params.id!);
        ctx.state.log.info({ user: user.username, tokenId: listing.id }, 'API token revoked');
        ctx.status = 204;
      },
    }),
  ];
}
