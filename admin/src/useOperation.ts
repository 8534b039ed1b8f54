import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, onSession, run } from './api.ts';
import type { TrustedOperation } from './generated/operations.ts';

/** Runs a query now, again when its variables change, and every refreshMs when asked to. */
export function useOperation<R, V>(op: TrustedOperation<R, V>, variables: V, o: { refreshMs?: number } = {}) {
  const [data, setData] = useState<R | null>(null);
  const [error, setError] = useState<string | null>(null);
  const key = JSON.stringify(variables);
  // Reloads (after an action, on a timer) always ask with the variables on screen now, not those of the
  // render that scheduled them; only the latest answer is shown.
  const current = useRef(key);
  current.current = key;
  const latest = useRef(0);
  const load = useCallback(async () => {
    const ticket = ++latest.current;
    try {
      const r = await run(op, JSON.parse(current.current) as V);
      if (ticket === latest.current) (setData(r), setError(null));
    } catch (e) {
      if (ticket === latest.current) setError(e instanceof Error ? e.message : 'Failed');
    }
  }, [op]);
  useEffect(() => {
    void load();
    if (!o.refreshMs) return;
    const t = setInterval(() => void load(), o.refreshMs);
    return () => clearInterval(t);
  }, [load, key, o.refreshMs]);
  // Signing in again after the session lapsed fetches what the screen could not.
  useEffect(() => onSession((s, lapsed) => void (s && !lapsed && load())), [load]);
  // Busy until the first answer (or error) arrives, so screens and tests can tell data from its absence.
  return { data, error, reload: load, loading: data === null && error === null };
}

/** What a failed action says, in words, and which input it concerns (shown next to that input). */
export interface ActionError {
  message: string;
  field?: string;
}

const explain = (e: unknown): ActionError => {
  if (!(e instanceof ApiError)) return { message: 'Palisade could not be reached; try again.' };
  switch (e.code) {
    case 'FORBIDDEN':
      return { message: `Not allowed: ${e.message}` };
    case 'RATE_LIMITED':
      return { message: e.message }; // carries the wait, e.g. "try again in 12 s"
    case 'CONFLICT':
    case 'BAD_USER_INPUT':
    case 'NOT_FOUND':
    case 'OUT_OF_STOCK':
      return { message: e.message, ...(e.field ? { field: e.field.split('.').at(-1)! } : {}) };
    case 'SERVICE_UNAVAILABLE':
      return { message: 'Palisade is briefly unavailable; try again in a moment.' };
    default:
      return { message: 'Something went wrong on the server; it has been logged.' };
  }
};

/** Runs a mutation, keeping its error for the screen to show; what the form holds is left as typed. */
export function useAction() {
  const [error, setError] = useState<ActionError | null>(null);
  const [busy, setBusy] = useState(false);
  const act = useCallback(async <R, V>(op: TrustedOperation<R, V>, variables: V): Promise<R | null> => {
    setBusy(true);
    setError(null);
    try {
      return await run(op, variables);
    } catch (e) {
      setError(explain(e));
      return null;
    } finally {
      setBusy(false);
    }
  }, []);
  /** The error to show beside one input, when the API named it. */
  const errorFor = (field: string) => (error?.field === field ? error.message : null);
  /** The error to show at the top of the form, when no input was named. */
  const general = error && !error.field ? error.message : null;
  return { act, error, busy, errorFor, general };
}

export const when = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString() : '—');
