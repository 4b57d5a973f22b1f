// qspool's server as `qspool serve --workers N` runs it (N from BENCH_WORKERS): this file runs as the cluster's
// primary, which forks N workers that run it again as servers.
import cluster from 'node:cluster';
import { createLogger } from '../../config/logger.ts';
import { loadConfig } from '../../config/index.ts';
import { runPrimary } from '../../scripts/cluster.ts';
import { runServe } from '../../scripts/commands/serve.ts';
import { onControl, sendReady } from './protocol.ts';

if (cluster.isPrimary) {
  const config = loadConfig(process.env, { PORT: 0 });
  const port = await runPrimary(Number(process.env.BENCH_WORKERS ?? 2), createLogger(config.LOG_LEVEL));
  // The primary stops its workers on SIGTERM, then exits.
  onControl(() => new Promise(() => process.kill(process.pid, 'SIGTERM')));
  sendReady({ url: `http://${config.HOST}:${port}` });
} else {
  await runServe({ port: '0' });
}
