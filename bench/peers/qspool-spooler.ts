// qspool's spooler as `qspool spooler` runs it (worker-thread experiments, configuration from the environment),
// for the backend in BENCH_BACKEND. With BENCH_HOLD=1 it starts claiming only on `go`, so the runner times the
// work and not the process start.
import { onShutdown, openRuntime, startSpoolers } from '../../scripts/runtime.ts';
import { onControl, sendReady } from './protocol.ts';

const runtime = await openRuntime();
const spoolers = startSpoolers(runtime, [process.env.BENCH_BACKEND ?? 'qubit']);
const start = () => Promise.all(spoolers.map((spooler) => spooler.start()));
const stop = async () => {
  await Promise.all(spoolers.map((spooler) => spooler.stop()));
  await runtime.storage.close();
};
onShutdown(runtime.logger, stop);
if (process.env.BENCH_HOLD === '1') {
  onControl(stop, () => void start());
} else {
  await start();
  onControl(stop);
}
sendReady();
