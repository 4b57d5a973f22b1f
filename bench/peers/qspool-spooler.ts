// qspool's spooler as `qspool spooler` runs it (worker-thread experiments, configuration from the environment),
// for the backend in BENCH_BACKEND.
import { onShutdown, openRuntime, startSpoolers } from '../../scripts/runtime.ts';
import { LocalProvider } from '../../storage/local/index.ts';
import { onControl, sendReady, type ControlMessage, type StatsMessage } from './protocol.ts';

const runtime = await openRuntime({}, { sync: true });
const spoolers = startSpoolers(runtime, [process.env.BENCH_BACKEND ?? 'qubit']);
const stop = async () => {
  await Promise.all(spoolers.map((spooler) => spooler.stop()));
  await runtime.storage.close();
};
onShutdown(runtime.logger, stop);
await Promise.all(spoolers.map((spooler) => spooler.start()));
onControl(stop);
process.on('message', (message: ControlMessage) => {
  if (message.type !== 'stats' || !(runtime.storage instanceof LocalProvider)) return;
  process.send?.({ type: 'stats', stats: runtime.storage.stats } satisfies StatsMessage);
});
sendReady();
