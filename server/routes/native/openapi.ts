// The OpenAPI 3.1 document of the native API, built from the operation objects the routers are mounted from:
// every component schema here is the very object a validator was compiled from (or a response is built to).
import { type Documented, type JsonSchema, type Operation, responsesOf } from './operation.ts';

export const API_PREFIX = '/api/v1';

export type OpenApiDocument = Record<string, unknown> & {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes: Record<string, unknown> };
};

export interface OpenApiOperation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  security: Record<string, string[]>[];
  parameters: Record<string, unknown>[];
  requestBody?: Record<string, unknown>;
  responses: Record<string, Record<string, unknown>>;
}

export function openApiDocument(operations: Operation[], version: string): OpenApiDocument {
  const schemas: Record<string, JsonSchema> = {};
  const ref = ({ name, schema }: Documented) => {
    // Two different objects under one name would make the document lie about one of them.
    if (schemas[name] !== undefined && schemas[name] !== schema) throw new Error(`Two different schemas are named ${name}`);
    schemas[name] = schema;
    return { $ref: `#/components/schemas/${name}` };
  };
  const paths: OpenApiDocument['paths'] = {};
  for (const op of operations) {
    const parameters = [
      ...Object.entries(op.params ?? {}).map(([name, schema]) => ({ name, in: 'path', required: true, schema })),
      ...Object.entries((op.query?.schema.properties ?? {}) as Record<string, JsonSchema>).map(([name, schema]) => ({
        name,
        in: 'query',
        required: false,
        schema,
        ...(typeof schema.description === 'string' ? { description: schema.description } : {}),
      })),
      ...Object.entries(op.headers ?? {}).map(([name, description]) => ({ name, in: 'header', required: false, description, schema: { type: 'string' } })),
    ];
    const responses = Object.fromEntries(
      Object.entries(responsesOf(op)).map(([status, spec]) => [
        status,
        {
          description: spec.description,
          ...(spec.schema ? { content: { 'application/json': { schema: ref(spec.schema) } } } : {}),
          ...(spec.contentType ? { content: { [spec.contentType]: { schema: { type: 'string' } } } } : {}),
          ...(spec.headers
            ? { headers: Object.fromEntries(Object.entries(spec.headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }])) }
            : {}),
        },
      ]),
    );
    (paths[`${API_PREFIX}${op.path}`] ??= {})[op.method] = {
      operationId: op.operationId,
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      tags: [op.tag],
      security: op.auth === 'required' || op.auth === 'own' ? [{ bearer: [] }] : op.auth === 'optional' ? [{}, { bearer: [] }] : [],
      parameters,
      ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: ref(op.body) } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    // Our schemas are draft-07 (tuple `items`), as AJV compiles them.
    jsonSchemaDialect: 'http://json-schema.org/draft-07/schema#',
    info: {
      title: 'qspool native API',
      version,
      description:
        'Jobs for quantum devices and simulators. Authenticate with `Authorization: Bearer <token>`: an API token ' +
        '(POST /api/v1/tokens, 32 hex) or an access token (POST /api/v1/auth/token). Every error is ' +
        '`{"error": {"code", "message", "details"}}`. qlued clients use /api/v2 and /api/v3 instead.',
    },
    paths,
    components: {
      schemas,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API token or an access token (JWT).' } },
    },
  };
}
