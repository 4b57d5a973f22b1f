// The OpenAPI document cannot drift from the code: every mounted route is documented and nothing else is, every
// request schema in it is the object the route's validator was compiled from, the schemas are the consts of
// schemas/, and (through the harness) every answer the other suites receive matches its documented schema.
import { expect } from 'chai';
import { Ajv } from 'ajv';
import { registrationSchema, tokenCreatedSchema, userSchema } from '../../schemas/accounts.ts';
import { jobEstimateSchema } from '../../schemas/estimate.ts';
import { backendDetailSchema, errorBodySchema, jobDetailSchema, jobListQuerySchema, jobListSchema, jobSubmissionSchema } from '../../schemas/native.ts';
import { resultSchema } from '../../schemas/result.ts';
import { koaPath } from '../../server/routes/native/operation.ts';
import { startHarness, type Harness } from './harness.ts';

describe('native API: OpenAPI document and docs page', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => h.stop());

  it('serves the document built from the mounted operations', async () => {
    const served = await h.call('GET', '/openapi.json');
    expect(served.status).to.equal(200);
    expect(served.body).to.deep.equal(JSON.parse(JSON.stringify(h.server.api.document)));
    expect(served.body).to.include({ openapi: '3.1.0' });
  });

  it('documents exactly the routes the router serves, with their path parameters', () => {
    const { document, router } = h.server.api;
    const mounted = router.stack.flatMap((layer) =>
      layer.methods.filter((m) => m !== 'HEAD').map((m) => `${m.toLowerCase()} ${layer.path} ${layer.paramNames.map((p) => p.name).join(',')}`),
    );
    const documented = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.entries(operations).map(([method, op]) => {
        const params = op.parameters.filter((p) => p.in === 'path').map((p) => p.name);
        return `${method} ${koaPath(path)} ${params.join(',')}`;
      }),
    );
    expect(documented.sort()).to.deep.equal(mounted.sort());
    expect(mounted).to.have.length.greaterThanOrEqual(17);
  });

  it('references, for every request body and query, the very schema object the route validates with', () => {
    const { document, operations } = h.server.api;
    const component = (ref: unknown) => document.components.schemas[String((ref as { $ref: string }).$ref).split('/').pop()!];
    for (const op of operations) {
      const documented = document.paths[`/api/v1${op.path}`]![op.method]!;
      if (op.body) {
        const content = (documented.requestBody as { content: { 'application/json': { schema: unknown } } }).content;
        expect(component(content['application/json'].schema), op.operationId).to.equal(op.body.schema);
        expect(op.body.validate.schema, `${op.operationId} validator`).to.equal(op.body.schema);
      } else {
        expect(documented.requestBody, op.operationId).to.equal(undefined);
      }
      const queryNames = documented.parameters.filter((p) => p.in === 'query').map((p) => p.name);
      expect(queryNames, op.operationId).to.deep.equal(Object.keys((op.query?.schema.properties ?? {}) as object));
      if (op.query) expect(op.query.validate.schema, `${op.operationId} query validator`).to.equal(op.query.schema);
      if (op.operationId === 'listJobs') expect(op.query!.schema).to.equal(jobListQuerySchema);
      expect(Object.keys(documented.responses).some((status) => status.startsWith('2')), op.operationId).to.equal(true);
      for (const [status, response] of Object.entries(documented.responses)) {
        const schema = (response.content as Record<string, { schema: unknown }> | undefined)?.['application/json']?.schema;
        if (Number(status) >= 400) expect(component(schema), `${op.operationId} ${status}`).to.equal(errorBodySchema);
      }
    }
  });

  it('holds the wire schemas of schemas/ themselves, each a valid JSON Schema', () => {
    const { schemas } = h.server.api.document.components;
    const expected = {
      Registration: registrationSchema,
      User: userSchema,
      TokenCreated: tokenCreatedSchema,
      JobSubmission: jobSubmissionSchema,
      JobEstimate: jobEstimateSchema,
      Job: jobDetailSchema,
      JobList: jobListSchema,
      Backend: backendDetailSchema,
      Result: resultSchema,
      Error: errorBodySchema,
    };
    for (const [name, schema] of Object.entries(expected)) expect(schemas[name], name).to.equal(schema);
    for (const [name, schema] of Object.entries(schemas)) {
      expect(() => new Ajv({ strict: false }).compile(schema), name).to.not.throw();
    }
  });

  it('renders a docs page listing every operation, with no scripts and a strict CSP', async () => {
    const response = await fetch(`${h.url}/api/v1/docs`);
    const html = await response.text();
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-type')).to.equal('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).to.match(/^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'$/);
    expect(html).to.not.match(/<script|javascript:|https?:\/\/(?!json-schema\.org|qspool\.dev)/i);
    for (const op of h.server.api.operations) {
      expect(html, op.operationId).to.include(`id="${op.operationId}"`);
      expect(html).to.include(`<code>/api/v1${op.path}</code>`);
    }
  });
});
