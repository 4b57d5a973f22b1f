// The OpenAPI 3.1 documents of qlued's API v2 and v3. django-ninja serves `openapi.json` and `docs` under each
// prefix, and the qlued notebooks send users to /api/v2/docs; the schemas are the objects the answers are built to.
import { backendConfigOutSchema, backendStatusSchema } from '../../schemas/backend-config.ts';
import { resultSchema } from '../../schemas/result.ts';
import { statusSchema } from '../../schemas/status.ts';
import type { OpenApiDocument, OpenApiOperation } from './native/openapi.ts';

type Version = 'v2' | 'v3';

const jobWithTokenSchema = {
  title: 'JobSchemaWithTokenIn',
  type: 'object',
  properties: { job: { type: 'string', description: 'The job as JSON text.' }, token: { type: 'string' } },
  required: ['job', 'token'],
} as const;

const payloadSchema = {
  title: 'DictSchema',
  type: 'object',
  properties: { payload: { type: 'object', description: 'The job.' } },
  required: ['payload'],
} as const;

const validationErrorSchema = {
  title: 'ValidationError',
  type: 'object',
  properties: {
    detail: {
      type: 'array',
      items: {
        type: 'object',
        properties: { type: { type: 'string' }, loc: { type: 'array', items: { type: 'string' } }, msg: { type: 'string' } },
      },
    },
  },
} as const;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (description: string, schema: unknown) => ({ description, content: { 'application/json': { schema } } });
const backendName = { name: 'backend_name', in: 'path', required: true, description: '`fermions` or `alqor_fermions_simulator`', schema: { type: 'string' } };
const query = (name: string, description: string) => ({ name, in: 'query', required: true, description, schema: { type: 'string' } });

export function qluedOpenApi(version: Version): OpenApiDocument {
  const bearer = version === 'v3';
  const credentials = bearer ? [] : [query('token', 'Your API token.')];
  const security = bearer ? [{ bearer: [] }] : [];
  const status = json('A status dict.', ref('StatusMsgDict'));
  const op = (operationId: string, summary: string, rest: Partial<OpenApiOperation>): OpenApiOperation => ({
    operationId,
    summary,
    tags: ['Backend'],
    security: [],
    parameters: [backendName],
    responses: {},
    ...rest,
  });
  const jobRoute = (operationId: string, summary: string, ok: unknown) =>
    op(operationId, summary, {
      security,
      parameters: [backendName, query('job_id', 'The id post_job answered.'), ...credentials],
      responses: {
        200: json('The answer.', ok),
        401: status,
        404: status,
        406: json('The job failed or is unknown: its ERROR status dict.', ref('StatusMsgDict')),
        422: json('A parameter is missing.', ref('ValidationError')),
      },
    });
  const prefix = `/api/${version}`;
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'http://json-schema.org/draft-07/schema#',
    info: {
      title: `qlued API ${version} (qspool)`,
      version: version === 'v2' ? '2.0.0' : '3.0.0',
      description: bearer
        ? 'Credentials: `Authorization: Bearer <token>`. post_job takes `{"payload": {...}}`.'
        : 'Credentials: the `token` body field of post_job, the `token` query parameter elsewhere. post_job takes the job as JSON text.',
    },
    paths: {
      [`${prefix}/backends`]: {
        get: op('list_backends', 'The configs of all backends', { parameters: [], responses: { 200: json('The configs.', { type: 'array', items: ref('BackendConfigSchemaOut') }) } }),
      },
      [`${prefix}/{backend_name}/get_config`]: {
        get: op('get_config', 'The config of a backend', { responses: { 200: json('The config.', ref('BackendConfigSchemaOut')), 404: status } }),
      },
      [`${prefix}/{backend_name}/get_backend_status`]: {
        get: op('get_backend_status', 'The status of a backend', { responses: { 200: json('The status.', ref('BackendStatusSchemaOut')), 404: status } }),
      },
      [`${prefix}/{backend_name}/post_job`]: {
        post: op('post_job', 'Submit a job', {
          security,
          requestBody: { required: true, content: { 'application/json': { schema: ref(bearer ? 'DictSchema' : 'JobSchemaWithTokenIn') } } },
          responses: {
            200: status,
            401: status,
            404: status,
            406: json('The job was refused: a status dict naming the rule.', ref('StatusMsgDict')),
            422: json('A field is missing or of the wrong type.', ref('ValidationError')),
          },
        }),
      },
      [`${prefix}/{backend_name}/get_job_status`]: { get: jobRoute('get_job_status', 'The status of a job', ref('StatusMsgDict')) },
      [`${prefix}/{backend_name}/get_job_result`]: {
        get: jobRoute('get_job_result', 'The result of a DONE job, else its status dict', { oneOf: [ref('ResultDict'), ref('StatusMsgDict')] }),
      },
    },
    components: {
      schemas: {
        BackendConfigSchemaOut: backendConfigOutSchema,
        BackendStatusSchemaOut: backendStatusSchema,
        StatusMsgDict: statusSchema,
        ResultDict: resultSchema,
        [bearer ? 'DictSchema' : 'JobSchemaWithTokenIn']: bearer ? payloadSchema : jobWithTokenSchema,
        ValidationError: validationErrorSchema,
      },
      securitySchemes: bearer ? { bearer: { type: 'http', scheme: 'bearer' } } : {},
    },
  };
}
