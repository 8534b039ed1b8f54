import { useCallback, useEffect, useRef, useState } from 'react';
import { onSession, run } from './api.ts';
import type { TrustedOperation } from './generated/operations.ts';

/** Runs a query now, again when its variables change, and every refreshMs when asked to. */
export function useOperation<R, V>(op: TrustedOperation<R, V>, variables: V, o: { refreshMs?: number } = {}) {
  const [data, setData] = useState<R | null>(null);
  const [error, setError] = useState<string | null>(null);
  const key = JSON.stringify(variables);
  const latest = useRef(0);
  const load = useCallback(async () => {
    const ticket = ++latest.current;
    try {
      const r = await run(op, JSON.parse(key) as V);
      if (ticket === latest.current) (setData(r), setError(null));
    } catch (e) {
      if (ticket === latest.current) setError(e instanceof Error ? e.message : 'Failed');
    }
  }, [op, key]);
  useEffect(() => {
    void load();
    if (!o.refreshMs) return;
    const t = setInterval(() => void load(), o.refreshMs);
    return () => clearInterval(t);
  }, [load, o.refreshMs]);
  // Signing in again after the session lapsed fetches what the screen could not.
  useEffect(() => onSession((s, lapsed) => void (s && !lapsed && load())), [load]);
  return { data, error, reload: load };
}

/** Runs a mutation, keeping its error for the screen to show. */
export function useAction() {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const act = useCallback(async <R, V>(op: TrustedOperation<R, V>, variables: V): Promise<R | null> => {
    setBusy(true);
    setError(null);
    try {
      return await run(op, variables);
    } catch (e) {
      setError(e instanceof Error ? e.message : 'Failed');
      return null;
    } finally {
      setBusy(false);
    }
  }, []);
  return { act, error, busy };
}

export const when = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString() : '—');
