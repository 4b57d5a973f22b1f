// Stopping the HTTP server without resetting a request a client has sent. Node's `server.close()` destroys every idle
// keep-alive connection at once, and a client that had just reused one for its next request (it cannot know yet)
// gets a reset: under load that was one request of every busy client of a replica, at every restart. Here a stopping
// server instead stops accepting connections, answers what arrives on the ones it has with `Connection: close` (the
// client opens its next connection elsewhere), and closes a connection only once it has been idle for a while.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * How long a connection must have been idle before a stopping server closes it. A client busy on it sends its next
 * request well within this and is answered (with `Connection: close`); one idle longer has no request under way but
 * by chance, the same chance of a race any keep-alive timeout has.
 */
export const IDLE_BEFORE_CLOSE_MS = 1000;
const SWEEP_MS = 50;

interface Connection {
  /** Responses under way (a client may pipeline). */
  answering: Set<ServerResponse>;
  /** performance.now() of the connection's start or its last answer's end. */
  idleSince: number;
}

export class ConnectionDrain {
  private readonly connections = new Map<Socket, Connection>();
  private draining = false;

  constructor(private readonly server: Server) {
    server.on('connection', (socket: Socket) => {
      this.connections.set(socket, { answering: new Set(), idleSince: performance.now() });
      socket.once('close', () => this.connections.delete(socket));
    });
  }

  /** Wraps the request handler: an answer given while the server stops closes its connection after it. */
  track(handle: (req: IncomingMessage, res: ServerResponse) => void): (req: IncomingMessage, res: ServerResponse) => void {
    return (req, res) => {
      const connection = this.connections.get(req.socket);
      if (connection) {
        connection.answering.add(res);
        res.once('close', () => {
          connection.answering.delete(res);
          connection.idleSince = performance.now();
        });
      }
      if (this.draining) res.shouldKeepAlive = false;
      handle(req, res);
    };
  }

  /**
   * Stops accepting connections; resolves once every open one has closed: after the answer under way, or when idle for
   * `idleMs`, or at `deadlineMs`, when whatever is left is cut.
   */
  stop(deadlineMs: number, idleMs = IDLE_BEFORE_CLOSE_MS): Promise<void> {
    this.draining = true;
    for (const { answering } of this.connections.values()) {
      for (const res of answering) if (!res.headersSent) res.shouldKeepAlive = false;
    }
    return new Promise((resolve) => {
      const sweep = setInterval(() => this.closeIdle(idleMs), SWEEP_MS);
      const deadline = setTimeout(() => this.server.closeAllConnections(), deadlineMs);
      // close() would also destroy the idle connections at once (Node ≥ 19 calls closeIdleConnections from it): the
      // sweep closes them instead, once they are idle long enough.
      this.server.closeIdleConnections = () => undefined;
      this.server.close(() => {
        clearInterval(sweep);
        clearTimeout(deadline);
        resolve();
      });
      Reflect.deleteProperty(this.server, 'closeIdleConnections');
      this.closeIdle(idleMs);
    });
  }

  private closeIdle(idleMs: number): void {
    const now = performance.now();
    for (const [socket, { answering, idleSince }] of this.connections) {
      if (answering.size === 0 && now - idleSince >= idleMs) socket.destroy();
    }
  }
}
