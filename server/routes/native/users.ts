// /api/v1/users: registration, the caller's profile and password.
import {
  type EmailConfirmation,
  type PasswordChange,
  type ProfileUpdate,
  type Registration,
  emailCheckSentSchema,
  emailConfirmationSchema,
  passwordChangeSchema,
  profileUpdateSchema,
  registrationSchema,
  userSchema,
} from '../../../schemas/accounts.ts';
import { ForbiddenError } from '../../../schemas/errors.ts';
import type { Logger } from '../../../config/logger.ts';
import { PASSWORD_ATTEMPTS_SPENT } from './auth.ts';
import type { NativeDeps } from './index.ts';
import { bodySchema, documented, errorBody, operation, type Operation } from './operation.ts';
import { userView } from './views.ts';

const registration = bodySchema<Registration>('Registration', registrationSchema);
const profileUpdate = bodySchema<ProfileUpdate>('ProfileUpdate', profileUpdateSchema);
const passwordChange = bodySchema<PasswordChange>('PasswordChange', passwordChangeSchema);
const emailConfirmation = bodySchema<EmailConfirmation>('EmailConfirmation', emailConfirmationSchema);
const user = documented('User', userSchema);

export function userOperations(deps: NativeDeps): Operation[] {
  const { users, notifications } = deps;

  /** A new code for the user's unconfirmed address, mailed to it. */
  async function sendEmailCheck(username: string): Promise<string> {
    const { address, code } = await users.issueEmailCheck(username);
    await notifications.mailEmailCheck(username, address, code);
    return address;
  }

  /** After the user set an address: its check is mailed without holding up the answer (they may ask again). */
  function checkInBackground(username: string, log: Logger): void {
    if (!notifications.mailEnabled) return;
    sendEmailCheck(username).catch((error: unknown) => log.warn({ err: error, user: username }, 'e-mail check not sent'));
  }

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
        // An address an admin gives is taken as it is; one that strangers give is confirmed before job mails go to it.
        const created = await users.createUser(body.username, { role: body.role ?? 'user', email: body.email, emailUnconfirmed: !isAdmin, password: body.password });
        ctx.state.log.info({ user: created.username, role: created.role, by: caller?.username ?? null }, 'user registered');
        if (created.emailVerified === false) checkInBackground(created.username, ctx.state.log);
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
        const { user: updated, emailCheckDue } = await users.updateProfile(me.username, {
          ...(body.email === undefined ? {} : { email: body.email }),
          ...(body.display_name === undefined ? {} : { displayName: body.display_name }),
          ...(body.notify === undefined ? {} : { notify: body.notify }),
        });
        if (emailCheckDue) checkInBackground(me.username, ctx.state.log);
        ctx.body = userView(updated, users.maxPriority(updated));
      },
    }),
    operation({
      method: 'post',
      path: '/users/me/email/check',
      operationId: 'sendEmailCheck',
      summary: 'Mail a new confirmation code to the caller\'s unconfirmed e-mail address',
      description: 'Job mails go only to a confirmed address. Setting an address mails a code by itself; this sends a new one (at most one a minute), and earlier codes stop working.',
      tag: 'Users',
      auth: 'required',
      responses: {
        202: { description: 'Mailed.', schema: documented('EmailCheckSent', emailCheckSentSchema) },
        409: { description: 'No address, or it is confirmed already.', schema: errorBody },
        429: { description: 'A code was sent less than a minute ago.', schema: errorBody },
        503: { description: 'E-mail is off, or the mail server did not take the mail.', schema: errorBody },
      },
      async handle(ctx, { user: me }) {
        ctx.status = 202;
        ctx.body = { sent_to: await sendEmailCheck(me.username) };
      },
    }),
    operation({
      method: 'post',
      path: '/users/me/email/confirm',
      operationId: 'confirmEmail',
      summary: 'Confirm the caller\'s e-mail address with the code mailed to it',
      tag: 'Users',
      auth: 'required',
      body: emailConfirmation,
      responses: {
        200: { description: 'The profile, with the address confirmed.', schema: user },
        403: { description: 'The code is wrong, used or expired, or the address changed since it was sent.', schema: errorBody },
      },
      async handle(ctx, { user: me, body }) {
        const confirmed = await users.confirmEmail(me.username, body.code);
        ctx.state.log.info({ user: me.username }, 'e-mail address confirmed');
        ctx.body = userView(confirmed, users.maxPriority(confirmed));
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
        429: { description: PASSWORD_ATTEMPTS_SPENT, schema: errorBody, headers: { 'Retry-After': 'Seconds to wait.' } },
      },
      async handle(ctx, { user: me, body }) {
        await deps.passwordAttempts.charge(ctx.ip, me.username);
        await users.changePassword(me.username, body.old_password, body.new_password);
        await deps.passwordAttempts.passwordChanged(ctx.ip, me.username);
        ctx.state.log.info({ user: me.username }, 'password changed');
        ctx.status = 204;
      },
    }),
  ];
}
