// The rate probe: one credential sends requests to every replica at once, about three times faster than its limit R
// allows, for a fixed time, without retrying refusals. Counted across the replicas, the admitted requests must come
// to the bucket's burst plus R per second of the probe, within the tolerance: N replicas must not admit N times as
// much, nor (losing tokens to one another) much less.

export interface RateProbeResult {
  admitted: number;
  refused: number;
  /** Requests that got no answer (a replica being killed or restarting). */
  unanswered: number;
  seconds: number;
  expected: number;
}

/** Probes `urls` with `token` for `seconds`; `offeredPerSecond` is the total offered rate over all replicas. */
export async function probeRate(urls: string[], token: string, options: { seconds: number; rate: number; burst: number; offeredPerSecond: number }): Promise<RateProbeResult> {
  const result = { admitted: 0, refused: 0, unanswered: 0 };
  const started = Date.now();
  const endAt = started + options.seconds * 1000;
  const gapMs = (1000 * urls.length) / options.offeredPerSecond;
  const loop = async (url: string) => {
    while (Date.now() < endAt) {
      const sent = Date.now();
      try {
        const response = await fetch(`${url}/api/v1/jobs?limit=1`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
        await response.arrayBuffer();
        if (response.status === 429) result.refused += 1;
        else if (response.status === 200) result.admitted += 1;
        else throw new Error(`GET /api/v1/jobs answered ${response.status}`);
      } catch (error) {
        if ((error as Error).message.startsWith('GET')) throw error;
        result.unanswered += 1;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, sent + gapMs - Date.now())));
    }
  };
  await Promise.all(urls.map(loop));
  const seconds = (Date.now() - started) / 1000;
  return { ...result, seconds, expected: options.burst + options.rate * seconds };
}
