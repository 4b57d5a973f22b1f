// Small hooks the pages share: data loaded from the API (with reload and optional polling).
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { errorText } from '../api.ts';

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
    } catch (caught) {
      if (mine === generation.current) setError(errorText(caught));
    } finally {
      if (mine === generation.current) setLoading(false);
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
    if (!pollMs || data === undefined || (poll && !poll(data))) return;
    const timer = setTimeout(() => void reload(), pollMs);
    return () => clearTimeout(timer);
  }, [data, pollMs]);

  return { data, error, loading, reload };
}
