import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface QueueHealth {
  running: boolean;
  waiting?: number;
  active?: number;
  delayed?: number;
  failed?: number;
}

export interface HealthReport {
  ok: boolean;
  redis: boolean;
  db: boolean;
  queues: Record<string, QueueHealth>;
}

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

/** Rejects when a check takes longer than `ms`: a health probe must answer even if a backend hangs. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Serves `GET /health`: 200 with the report when everything answers, 503 otherwise. Port 0 picks a free port. */
export function startHealthServer(port: number, check: () => Promise<HealthReport>): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/health') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/json' }).end('{"error":"method not allowed"}');
      return;
    }
    check()
      .catch((err: unknown): HealthReport => {
        console.error(`[worker] health check failed: ${err instanceof Error ? err.message : String(err)}`);
        return { ok: false, redis: false, db: false, queues: {} };
      })
      .then((report) => {
        res
          .writeHead(report.ok ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' })
          .end(req.method === 'HEAD' ? undefined : JSON.stringify(report));
      });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => {
      server.off('error', reject);
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
