// The native API at /api/v1: every resource's operations, mounted on one router, and the OpenAPI document
// built from the same list.
import Router from '@koa/router';
import type { BearerAuth } from '../../auth/bearer.ts';
import type { BodyLimits } from '../../middleware/body.ts';
import type { BackendService } from '../../services/backends.ts';
import type { AccountDeletion } from '../../services/account-deletion.ts';
import type { IdempotencyStore } from '../../services/idempotency.ts';
import type { JobIndex } from '../../services/job-index.ts';
import type { JobService } from '../../services/jobs.ts';
import type { UserService } from '../../services/users.ts';
import type { ProviderRegistry } from '../../../storage/registry/index.ts';
import type { Notifications } from '../../notifications/index.ts';
import type { TrustedKeys } from '../../../spooler/signing/verify.ts';
import { adminOperations } from './admin.ts';
import { authOperations } from './auth.ts';
import { backendOperations } from './backends.ts';
import { deadLetterOperations } from './dead-letters.ts';
import { docsOperations } from './docs.ts';
import { estimateOperations } from './estimate.ts';
import { eventOperations } from './events.ts';
import { jobOperations } from './jobs.ts';
import { API_PREFIX, openApiDocument, type OpenApiDocument } from './openapi.ts';
import { mount, type Operation } from './operation.ts';
import { tokenOperations } from './tokens.ts';
import { userOperations } from './users.ts';
import { validateOperations } from './validate.ts';
import { webhookOperations } from './webhooks.ts';
import type { PasswordAttempts } from '../../limits/password-attempts.ts';

export interface NativeDeps {
  backends: BackendService;
  jobs: JobService;
  jobIndex: JobIndex;
  idempotency: IdempotencyStore;
  users: UserService;
  accountDeletion: AccountDeletion;
  providers: ProviderRegistry;
  auth: BearerAuth;
  notifications: Notifications;
  limits: BodyLimits;
  passwordAttempts: PasswordAttempts;
  openRegistration: boolean;
  /** The signing keys a result's signature must be by (QSPOOL_TRUSTED_SIGNING_KEYS); undefined: any published one. */
  trustedKeys: TrustedKeys;
  version: string;
}

export interface NativeApi {
  router: Router;
  operations: Operation[];
  document: OpenApiDocument;
}

export function nativeApi(deps: NativeDeps): NativeApi {
  const operations: Operation[] = [
    ...userOperations(deps),
    ...authOperations(deps),
    ...tokenOperations(deps),
    ...backendOperations(deps),
    ...validateOperations(deps),
    ...estimateOperations(deps),
    ...jobOperations(deps),
    ...deadLetterOperations(deps),
    ...eventOperations(deps),
    ...webhookOperations(deps),
    ...adminOperations(deps),
    ...docsOperations(() => document),
  ];
  const document = openApiDocument(operations, deps.version);
  const router = new Router({ prefix: API_PREFIX, strict: true });
  for (const op of operations) mount(router, op, deps);
  return { router, operations, document };
}
