// `npm run test:crash`: the crash, race, cancel, outage and server-kill burst proof against real CLI processes, on the local provider or
// (CRASH_PROVIDER) on a registered Dropbox or S3 provider.
// Prints the table and exits 1 on any violation (0 lost, 0 run twice, 0 stuck, recovery within lease + poll).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { burstPhase } from './burst.ts';
import { cancelPhase } from './cancel.ts';
import { killsPhase } from './kills.ts';
import { outagePhase } from './outage.ts';
import type { PhaseResult } from './phase.ts';
import { racePhase } from './race.ts';
import { report } from './report.ts';
import { crashSettings, type PhaseName } from './settings.ts';
import { openCrashStore } from './store.ts';

const settings = crashSettings();
const store = await openCrashStore(settings.provider);
const runners: Record<PhaseName, (runDir: string) => Promise<PhaseResult>> = {
  kills: (dir) => killsPhase(dir, settings, store),
  race: (dir) => racePhase(dir, settings, store),
  cancel: (dir) => cancelPhase(dir, settings, store),
  outage: (dir) => outagePhase(dir, settings, store),
  burst: (dir) => burstPhase(dir, settings, store),
};

const runDir = await mkdtemp(join(tmpdir(), 'qspool-crash-'));
const started = Date.now();
console.log(`crash harness: ${JSON.stringify(settings)}\nrun directory: ${runDir}`);
const results: PhaseResult[] = [];
for (const name of settings.phases) {
  const phaseStarted = Date.now();
  if (name === 'race' && settings.raceJobs === 0) continue;
  if (name === 'outage' && settings.outageSeconds === 0) continue;
  if (name === 'burst' && settings.burstRounds === 0) continue;
  const result = await runners[name](runDir);
  results.push(result);
  console.log(`phase ${name}: ${((Date.now() - phaseStarted) / 1000).toFixed(1)} s, ${result.verdict.violations.length} violations`);
}
await store.close();
console.log(`store: ${settings.provider}`);
console.log(report(results));
const failedPhases = results.filter((r) => r.verdict.violations.length > 0).length;
// Mocha-style counts (one per phase), which .ci/run adds up like every other suite's.
console.log(`  ${results.length - failedPhases} passing\n  ${failedPhases} failing`);
const failed = failedPhases > 0;
console.log(`${failed ? 'FAILED' : 'PASSED'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
if (failed || settings.keep) console.log(`data and logs kept in ${runDir}`);
else await rm(runDir, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
