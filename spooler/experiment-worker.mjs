// Entry point of the experiment thread. Module hooks registered on the main thread (tsx) do not reach worker
// threads, so TypeScript support is registered here before the worker code loads.
import { register } from 'tsx/esm/api';

register();
await import('./experiment-worker.ts');
