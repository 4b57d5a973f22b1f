// Small hooks the pages share: data loaded from the API (with reload and optional polling).
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, errorText } from '../api.ts';

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
  reload: () => Promise<void>;
}

/**
 * Calls `load` now, whenever `deps` change, and every `pollMs` while `poll(data)` says so (pages poll until a job is
 * final; live events replace polling where the server has them). Answers that arrive after the page moved on are
 * dropped.
 */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[], options: { pollMs?: number; poll?: (data: T) => boolean } = {}): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  // Counts answers, so a failure schedules the next poll as a success does; whether that failure is worth trying again.
  const [answers, setAnswers] = useState(0);
  const [passing, setPassing] = useState(false);
  const generation = useRef(0);
  const loader = useRef(load);
  loader.current = load;

  const reload = useCallback(async () => {
    const mine = generation.current;
    try {
      const value = await loader.current();
      if (mine !== generation.current) return;
      setData(value);
      setError(undefined);
      setPassing(false);
    } catch (caught) {
      if (mine !== generation.current) return;
      setError(errorText(caught));
      // The server or the network down for a moment (503, 429, no answer) passes; a refusal (404, 403) does not.
      setPassing(!(caught instanceof ApiError) || caught.status >= 500 || caught.status === 429);
    } finally {
      if (mine === generation.current) {
        setLoading(false);
        setAnswers((count) => count + 1);
      }
    }
  }, []);

  useEffect(() => {
    generation.current += 1;
    setLoading(true);
    setData(undefined);
    void reload();
  }, deps);

  const { pollMs, poll } = options;
  useEffect(() => {
    // A polling page goes on after a passing failure (storage briefly down), even before its first answer, so it
    // recovers by itself; it used to stop at the first failure and show that error until the user reloaded.
    if (!pollMs || (passing ? false : data === undefined || error !== undefined || (poll && !poll(data)))) return;
    const timer = setTimeout(() => void reload(), pollMs);
    return () => clearTimeout(timer);
  }, [answers, pollMs]);

  return { data, error, loading, reload };
}
