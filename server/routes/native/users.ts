// /api/v1/users: registration, the caller's profile and password.
import {
  type PasswordChange,
  type ProfileUpdate,
  type Registration,
  passwordChangeSchema,
  profileUpdateSchema,
  registrationSchema,
  userSchema,
} from '../../../schemas/accounts.ts';
import { ForbiddenError } from '../../../schemas/errors.ts';
import type { NativeDeps } from './index.ts';
import { bodySchema, documented, errorBody, operation, type Operation } from './operation.ts';
import { userView } from './views.ts';

const registration = bodySchema<Registration>('Registration', registrationSchema);
const profileUpdate = bodySchema<ProfileUpdate>('ProfileUpdate', profileUpdateSchema);
const passwordChange = bodySchema<PasswordChange>('PasswordChange', passwordChangeSchema);
const user = documented('User', userSchema);

export function userOperations(deps: NativeDeps): Operation[] {
  const { users } = deps;
  return [
    operation({
      method: 'post',
      path: '/users',
      operationId: 'register',
      summary: 'Register a user',
      description: 'Open to anyone unless registration is closed (QSPOOL_OPEN_REGISTRATION=false); then admins only. Only admins may create admins.',
      tag: 'Users',
      auth: 'optional',
      body: registration,
      responses: {
        201: { description: 'The new user.', schema: user },
        401: { description: 'A credential was sent and it is not valid.', schema: errorBody },
        403: { description: 'Registration is closed, or the role needs an admin.', schema: errorBody },
        409: { description: 'The username is taken.', schema: errorBody },
      },
      async handle(ctx, { user: caller, body }) {
        const isAdmin = caller?.role === 'admin';
        if (!deps.openRegistration && !isAdmin) throw new ForbiddenError('Registration is closed; ask an admin for an account', 'registration_closed');
        if (body.role === 'admin' && !isAdmin) throw new ForbiddenError('Only admins may create admins', 'admin_required');
        // Hashing the password is scrypt's work: strangers spend their address's password budget on it.
        if (!isAdmin) await deps.passwordAttempts.charge(ctx.ip);
        const created = await users.createUser(body.username, { role: body.role ?? 'user', email: body.email, password: body.password });
        ctx.state.log.info({ user: created.username, role: created.role, by: caller?.username ?? null }, 'user registered');
        ctx.status = 201;
        ctx.body = userView(created, users.maxPriority(created));
      },
    }),
    operation({
      method: 'get',
      path: '/users/me',
      operationId: 'getProfile',
      summary: 'The caller\'s profile',
      tag: 'Users',
      auth: 'required',
      responses: { 200: { description: 'The caller.', schema: user } },
      async handle(ctx, { user: me }) {
        ctx.body = userView(me, users.maxPriority(me));
      },
    }),
    operation({
      method: 'patch',
      path: '/users/me',
      operationId: 'updateProfile',
      summary: 'Change the caller\'s email, display name or notification defaults',
      tag: 'Users',
      auth: 'required',
      body: profileUpdate,
      responses: { 200: { description: 'The updated profile.', schema: user } },
      async handle(ctx, { user: me, body }) {
        const updated = await users.updateProfile(me.username, {
          ...(body.email === undefined ? {} : { email: body.email }),
          ...(body.display_name === undefined ? {} : { displayName: body.display_name }),
          ...(body.notify === undefined ? {} : { notify: body.notify }),
        });
        ctx.body = userView(updated, users.maxPriority(updated));
      },
    }),
    operation({
      method: 'post',
      path: '/users/me/password',
      operationId: 'changePassword',
      summary: 'Change the caller\'s password',
      description: 'Needs the old password. Access tokens issued before the change stop working; API tokens stay valid.',
      tag: 'Users',
      auth: 'required',
      body: passwordChange,
      responses: {
        204: { description: 'Changed.' },
        403: { description: 'The old password is wrong.', schema: errorBody },
      },
      async handle(ctx, { user: me, body }) {
        await deps.passwordAttempts.charge(ctx.ip, me.username);
        await users.changePassword(me.username, body.old_password, body.new_password);
        ctx.state.log.info({ user: me.username }, 'password changed');
        ctx.status = 204;
      },
    }),
  ];
}
