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

/**
 * Probes `urls` with `token` for `seconds`, at `offeredPerSecond` requests in total, sent on a fixed schedule
 * whatever the answers' latency (a loaded store must not lower the offered rate below R).
 */
export async function probeRate(urls: string[], token: string, options: { seconds: number; rate: number; burst: number; offeredPerSecond: number }): Promise<RateProbeResult> {
  const result = { admitted: 0, refused: 0, unanswered: 0 };
  const started = Date.now();
  const gapMs = 1000 / options.offeredPerSecond;
  const requests: Promise<void>[] = [];
  const send = async (url: string) => {
    let status: number;
    try {
      const response = await fetch(`${url}/api/v1/jobs?limit=1`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(20_000) });
      await response.arrayBuffer();
      status = response.status;
    } catch {
      result.unanswered += 1;
      return;
    }
    if (status === 429) result.refused += 1;
    else if (status === 200) result.admitted += 1;
    else throw new Error(`GET /api/v1/jobs answered ${status}`);
  };
  for (let n = 0; Date.now() < started + options.seconds * 1000; n += 1) {
    requests.push(send(urls[n % urls.length]!));
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + (n + 1) * gapMs - Date.now())));
  }
  await Promise.all(requests);
  const seconds = (Date.now() - started) / 1000;
  return { ...result, seconds, expected: options.burst + options.rate * seconds };
}
