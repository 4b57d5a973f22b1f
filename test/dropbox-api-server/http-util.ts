// Small HTTP/JSON helpers shared by the fake Dropbox API server modules.
import type { IncomingMessage } from 'node:http';

export type JsonObject = { [key: string]: unknown };

/** What a route handler wants written back: kept as data so failure injection can replace it. */
export interface HttpReply {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
  /** Dropbox puts the error_summary in the HTTP reason phrase of 409/429 answers. */
  statusMessage?: string;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function jsonReply(status: number, value: unknown, extraHeaders: Record<string, string> = {}): HttpReply {
  return {
    status,
    headers: { 'Content-Type': 'application/json', ...extraHeaders },
    body: JSON.stringify(value),
  };
}

export function textReply(status: number, text: string, extraHeaders: Record<string, string> = {}): HttpReply {
  return { status, headers: { 'Content-Type': 'text/plain; charset=utf-8', ...extraHeaders }, body: text };
}

/**
 * JSON that is safe inside an HTTP header: Dropbox (and the SDK's httpHeaderSafeJson) escape every
 * char from U+007F up as \uXXXX, because header values must stay ASCII.
 */
export function headerSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Dropbox timestamps are ISO 8601 in UTC without fractional seconds: 2015-05-12T15:50:38Z. */
export function dropboxTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class BodyTooLargeError extends Error {}

/** Reads the whole request body; rejects once more than limitBytes arrive. */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        reject(new BodyTooLargeError(`body larger than ${limitBytes} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
