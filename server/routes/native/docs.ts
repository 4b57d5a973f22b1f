// /api/v1/openapi.json and /api/v1/docs: the OpenAPI document, and a page for people rendered from it on the
// server (no scripts at all, no CDN; the only style is inline and allowed by its hash in the CSP).
import { createHash } from 'node:crypto';
import type { OpenApiDocument, OpenApiOperation } from './openapi.ts';
import { operation, type Operation } from './operation.ts';

const STYLE = `
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d232b}
h2{margin-top:2.5rem;border-bottom:1px solid #ccd}
section{margin:1rem 0;padding:.5rem 1rem;border:1px solid #dde;border-radius:6px}
.m{display:inline-block;min-width:4.5rem;font-weight:700;text-transform:uppercase}
code,pre{font:13px/1.4 ui-monospace,monospace}pre{background:#f4f5f8;padding:.75rem;overflow:auto}
table{border-collapse:collapse}td,th{padding:.15rem .6rem;text-align:left;vertical-align:top}
`;
export const DOCS_CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const inlineCode = (text: string) => escape(text).replace(/`([^`]+)`/g, '<code>$1</code>');

function renderOperation(method: string, path: string, op: OpenApiOperation, doc: OpenApiDocument): string {
  const schemaOf = (ref: unknown) => {
    const name = String((ref as { $ref?: string } | undefined)?.$ref ?? '').split('/').pop() ?? '';
    return name && doc.components.schemas[name] ? `<details><summary>${escape(name)}</summary><pre>${escape(JSON.stringify(doc.components.schemas[name], null, 2))}</pre></details>` : '';
  };
  const body = op.requestBody as { content: { 'application/json': { schema: unknown } } } | undefined;
  const params = op.parameters
    .map((p) => `<tr><td><code>${escape(String(p.name))}</code></td><td>${escape(String(p.in))}</td><td>${inlineCode(String(p.description ?? ''))}</td></tr>`)
    .join('');
  const responses = Object.entries(op.responses)
    .map(([status, r]) => {
      const content = r.content as Record<string, { schema: unknown }> | undefined;
      return `<tr><td>${escape(status)}</td><td>${inlineCode(String(r.description))}${schemaOf(content?.['application/json']?.schema)}</td></tr>`;
    })
    .join('');
  return `<section id="${escape(op.operationId)}">
<h3><span class="m">${escape(method)}</span> <code>${escape(path)}</code></h3>
<p>${inlineCode(op.summary)}${op.security.some((s) => 'bearer' in s) ? ' — <em>Bearer token</em>' : ''}</p>
${op.description ? `<p>${inlineCode(op.description)}</p>` : ''}
${params ? `<table><tr><th>parameter</th><th>in</th><th></th></tr>${params}</table>` : ''}
${body ? `<p>Request body:</p>${schemaOf(body.content['application/json'].schema)}` : ''}
<table><tr><th>status</th><th>answer</th></tr>${responses}</table>
</section>`;
}

export function renderDocs(doc: OpenApiDocument): string {
  const info = doc.info as { title: string; version: string; description: string };
  const byTag = new Map<string, string[]>();
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const tag = op.tags[0] ?? 'Other';
      byTag.set(tag, [...(byTag.get(tag) ?? []), renderOperation(method, path, op, doc)]);
    }
  }
  const sections = [...byTag].map(([tag, ops]) => `<h2>${escape(tag)}</h2>${ops.join('\n')}`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escape(info.title)}</title><style>${STYLE}</style></head>
<body><h1>${escape(info.title)} <small>${escape(info.version)}</small></h1>
<p>${inlineCode(info.description)}</p><p>Machine-readable: <a href="openapi.json">openapi.json</a> (OpenAPI 3.1).</p>
${sections}
</body></html>
`;
}

export function docsOperations(document: () => OpenApiDocument): Operation[] {
  return [
    operation({
      method: 'get',
      path: '/openapi.json',
      operationId: 'openApi',
      summary: 'This API as an OpenAPI 3.1 document',
      tag: 'Documentation',
      auth: 'none',
      responses: { 200: { description: 'The document.' } },
      async handle(ctx) {
        ctx.body = document();
      },
    }),
    operation({
      method: 'get',
      path: '/docs',
      operationId: 'docs',
      summary: 'This API as a web page',
      tag: 'Documentation',
      auth: 'none',
      responses: { 200: { description: 'HTML.', contentType: 'text/html' } },
      async handle(ctx) {
        ctx.set('Content-Security-Policy', DOCS_CSP);
        ctx.type = 'text/html; charset=utf-8';
        ctx.body = renderDocs(document());
      },
    }),
  ];
}
