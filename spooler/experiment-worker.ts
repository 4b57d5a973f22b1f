// The worker-thread side of experiment-thread.ts: loads the backend once, then runs one experiment per message.
import { parentPort, workerData } from 'node:worker_threads';
import type { BackendDefinition } from './backend.ts';
import type { BackendLocator, ExperimentReply, ExperimentRequest, ThreadReady } from './experiment-thread.ts';
import { thrownMessage } from './failures.ts';

const locator = workerData as BackendLocator;
const exported: unknown = ((await import(locator.module)) as Record<string, unknown>)[locator.exportName];
const backend = (
  typeof exported === 'function' ? (exported as (...args: unknown[]) => BackendDefinition)(...(locator.args ?? [])) : exported
) as BackendDefinition | undefined;
if (!backend?.runExperiment) throw new Error(`${locator.module} has no backend ${locator.exportName}`);

const port = parentPort!;
port.on('message', async (request: ExperimentRequest) => {
  let reply: ExperimentReply;
  try {
    // The main thread stops an abandoned job by terminating this thread, so there is nothing to check here.
    const context = { jobId: request.jobId, maxHilbertDimension: request.maxHilbertDimension, checkpoint: () => undefined };
    reply = { ok: true, data: await backend.runExperiment(request.name, request.experiment, context) };
  } catch (error) {
    const { name, message, details } = (error instanceof Error ? error : new Error(thrownMessage(error))) as Error & { details?: unknown };
    reply = { ok: false, error: { name, message, ...(details === undefined ? {} : { details }) } };
  }
  try {
    port.postMessage(reply);
  } catch (error) {
    // Data the structured clone refuses (a function, say) would otherwise crash the thread with a message-less error.
    port.postMessage({ ok: false, error: { name: 'Error', message: `its data cannot leave the experiment thread: ${thrownMessage(error)}` } } satisfies ExperimentReply);
  }
});
// Loaded: from now on a thread that ends is the experiment's doing, not the backend's (experiment-thread.ts).
port.postMessage({ ready: true } satisfies ThreadReady);
