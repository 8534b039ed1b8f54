import { useState } from 'react';
import { AdminAcknowledgeAlert, AdminAlerts, type Severity } from '../generated/operations.ts';
import { useAction, useOperation, when } from '../useOperation.ts';
import { currentSession } from '../api.ts';

export function Alerts() {
  const [severity, setSeverity] = useState<Severity | ''>('');
  const [status, setStatus] = useState<'open' | 'acknowledged' | ''>('open');
  const [since, setSince] = useState('');
  const [after, setAfter] = useState<string | null>(null);
  const filter = { ...(severity ? { severity } : {}), ...(status ? { acknowledged: status === 'acknowledged' } : {}), ...(since ? { since: new Date(since).toISOString() } : {}) };
  const { data, error, reload, loading } = useOperation(AdminAlerts, { filter, first: 20, after }, { refreshMs: 15_000 });
  const ack = useAction();
  const canAck = currentSession()?.scopes.includes('alert:ack') ?? false;
  return (
    <section aria-busy={loading}>
      <h1>Alerts</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <label>Severity
          <select value={severity} onChange={(e) => (setSeverity(e.target.value as Severity | ''), setAfter(null))}>
            <option value="">Any</option>
            {['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'].map((s) => <option key={s}>{s}</option>)}
          </select>
        </label>
        <label>Status
          <select value={status} onChange={(e) => (setStatus(e.target.value as typeof status), setAfter(null))}>
            <option value="">Any</option><option value="open">Open</option><option value="acknowledged">Acknowledged</option>
          </select>
        </label>
        <label>Since<input type="datetime-local" value={since} onChange={(e) => (setSince(e.target.value), setAfter(null))} /></label>
      </form>
      {(error ?? ack.error) && <p role="alert">{error ?? ack.error?.message}</p>}
      <p className="muted">{data?.securityAlerts.totalCount ?? 0} alerts</p>
      <table>
        <thead><tr><th>When</th><th>Severity</th><th>Type</th><th>Description</th><th>Source</th><th></th></tr></thead>
        <tbody>
          {data?.securityAlerts.edges.map(({ node: a }) => (
            <tr key={a.id}>
              <td>{when(a.createdAt)}</td><td>{a.severity}</td><td>{a.type}</td><td>{a.description}</td><td>{a.sourceIp ?? '—'}</td>
              <td>{a.acknowledgedAt ? `Acknowledged ${when(a.acknowledgedAt)}` : canAck && (
                <button type="button" aria-label={`Acknowledge ${a.type} alert`} disabled={ack.busy} onClick={() => void ack.act(AdminAcknowledgeAlert, { id: a.id }).then(() => reload())}>Acknowledge</button>
              )}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {data?.securityAlerts.pageInfo.hasNextPage && <button type="button" onClick={() => setAfter(data.securityAlerts.pageInfo.endCursor ?? null)}>Next page</button>}
      {after && <button type="button" onClick={() => setAfter(null)}>First page</button>}
    </section>
  );
}
