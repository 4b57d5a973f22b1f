// qspool's server as `qspool serve` runs it (configuration from the environment the runner sets: local storage,
// fsync, rate limit, quota), plus what a bench needs: backend configs published without running spoolers
// (BENCH_PUBLISH) and users whose API tokens it reports (BENCH_USERS).
import { createBackend } from '../../spooler/backends/index.ts';
import { publishedConfig } from '../../spooler/backend.ts';
import { ns } from '../../storage/records.ts';
import { openRuntime } from '../../scripts/runtime.ts';
import { startServer } from '../../server/index.ts';
import { onControl, sendReady } from './protocol.ts';

const runtime = await openRuntime({ PORT: 0 });
const { config, storage } = runtime;
for (const name of (process.env.BENCH_PUBLISH ?? '').split(',').filter(Boolean)) {
  const backend = createBackend(name);
  if (!backend) throw new Error(`unknown backend ${name}`);
  const limits = { maxInstructions: config.QSPOOL_MAX_INSTRUCTIONS, maxHilbertDimension: config.QSPOOL_MAX_HILBERT_DIMENSION };
  await storage.put(ns.configs, name, publishedConfig(backend, limits));
}
const server = await startServer(storage, config, runtime.logger);
const tokens: string[] = [];
for (let i = 0; i < Number(process.env.BENCH_USERS ?? 1); i += 1) {
  tokens.push((await server.users.ensureUserWithToken(`bench${i}`)).token);
}
onControl(async () => {
  await server.close();
  await storage.close();
});
sendReady({ url: server.url, tokens });
