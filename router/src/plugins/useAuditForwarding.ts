import { AUDIT_INGEST_PATH, buildAuditRecord, postSigned, type AuditInput, type AuditRecord, type Logger } from '@palisade/kit';
import type { Caller, ContextSigner } from '@palisade/auth';

const MAX_BUFFER = 10_000;

/**
 * The router has no database: its own events (refused tokens, refused operations, suspicious input) are
 * buffered and sent to the security subgraph in signed batches, retried until accepted. A crash loses at
 * most the unsent buffer; the security subgraph stores each id once, so retries never duplicate.
 */
export function useAuditForwarding(o: { signer: ContextSigner; securityBase: () => string; log: Logger; intervalMs?: number }) {
  let buffer: AuditRecord[] = [];
  let sending = false;
  let dropped = 0;
  const flush = async () => {
    if (sending || !buffer.length) return;
    sending = true;
    const batch = buffer.slice(0, 500);
    try {
      await postSigned(o.signer, 'security', o.securityBase() + AUDIT_INGEST_PATH, { events: batch }, { timeoutMs: 5_000 });
      buffer = buffer.slice(batch.length);
    } catch (err) {
      o.log.warn({ err: (err as Error).message, pending: buffer.length }, 'router audit events not delivered yet');
    } finally {
      sending = false;
    }
  };
  const timer = setInterval(() => void flush(), o.intervalMs ?? 300);
  timer.unref();
  return {
    record(caller: Caller | null, input: AuditInput) {
      if (buffer.length >= MAX_BUFFER) {
        if (dropped++ % 1000 === 0) o.log.error({ dropped }, 'router audit buffer full; dropping events');
        return;
      }
      buffer.push(buildAuditRecord('router', caller, input));
    },
    async stop() {
      clearInterval(timer);
      await flush();
    },
  };
}

export type AuditForwarder = ReturnType<typeof useAuditForwarding>;
