// Requests sent as they are written (node:http without an agent, or bytes on a socket), so nothing normalises them,
// and the checks the hardening suites make of every refusal.
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';

export interface Probe {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface Reply {
  /** 0: no answer within the wait (a hung request). */
  status: number;
  type: string;
  allow: string;
  text: string;
}

const NO_ANSWER: Reply = { status: 0, type: '', allow: '', text: '' };

/** One request on a connection of its own; resolves with status 0 when nothing is answered within `waitMs`. */
export function send(port: number, probe: Probe, waitMs = 10_000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const body = probe.body === undefined ? undefined : Buffer.from(probe.body);
    const headers = { Connection: 'close', ...(body ? { 'Content-Length': String(body.length) } : {}), ...probe.headers };
    const req = httpRequest({ host: '127.0.0.1', port, method: probe.method, path: probe.path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode!, type: String(res.headers['content-type'] ?? ''), allow: String(res.headers.allow ?? ''), text: Buffer.concat(chunks).toString() });
      });
    });
    const timer = setTimeout(() => {
      req.destroy();
      resolve(NO_ANSWER);
    }, waitMs);
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.end(body);
  });
}

/** The answer in raw bytes on a socket: its status line, Content-Type, Allow and body. */
function parseRaw(raw: string): Reply {
  const [head = '', ...rest] = raw.split('\r\n\r\n');
  const header = (name: string) => new RegExp(`^${name}: ([^\r\n]*)`, 'im').exec(head)?.[1] ?? '';
  return { status: Number(head.split(' ')[1] ?? 0) || 0, type: header('content-type'), allow: header('allow'), text: rest.join('\r\n\r\n') };
}

export interface RawOptions {
  /** Keep sending nothing more after `text` without closing our side (a body cut short, a client waiting). */
  hold?: boolean;
  /** With `hold`: hang up after this long. */
  hangUpMs?: number;
  waitMs?: number;
}

/**
 * Bytes Node's own client would refuse to send. By default our side closes after them; the reply is what arrived
 * before the server closed (status 0 for nothing, or for nothing within `waitMs`).
 */
export function sendRaw(port: number, text: string | Buffer, options: RawOptions = {}): Promise<Reply> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1', () => {
      if (!options.hold) socket.end(text);
      else {
        socket.write(text);
        if (options.hangUpMs !== undefined) setTimeout(() => socket.destroy(), options.hangUpMs);
      }
    });
    const done = () => {
      clearTimeout(timer);
      resolve(parseRaw(Buffer.concat(chunks).toString('latin1')));
    };
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(NO_ANSWER);
    }, options.waitMs ?? 10_000);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', done);
  });
}

/** A native error answer: `{error: {code, message, details}}` with a code and a message. */
function nativeProblem(body: Record<string, unknown>): boolean {
  const error = body.error as Record<string, unknown> | null | undefined;
  return error !== null && typeof error === 'object' && 'details' in error && typeof error.code === 'string' && typeof error.message === 'string' && error.message !== '';
}

/**
 * Whether an error answer is a JSON object naming its problem. Native routes answer in the native shape; qlued's
 * answer a status dict (`error_message`) or a django-ninja `detail`, or the native shape where Node's HTTP parser
 * refused the request before any route was known.
 */
export function namesProblem(text: string, native: boolean): boolean {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return false;
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return false;
  const fields = body as Record<string, unknown>;
  if (nativeProblem(fields)) return true;
  if (native) return false;
  return (typeof fields.detail === 'string' && fields.detail !== '') || Array.isArray(fields.detail) || typeof fields.error_message === 'string';
}
