import { useState } from 'react';
import { AdminAuditTrail, AdminVerifyChain, type AdminVerifyChainQuery } from '../generated/operations.ts';
import { useAction, useOperation, when } from '../useOperation.ts';

export function AuditTrail() {
  const [f, setF] = useState({ actorId: '', action: '', resourceType: '', resourceId: '', since: '', until: '' });
  const [after, setAfter] = useState<string | null>(null);
  const filter = {
    ...(f.actorId ? { actorId: f.actorId } : {}),
    ...(f.action ? { action: f.action } : {}),
    ...(f.resourceType ? { resourceType: f.resourceType } : {}),
    ...(f.resourceId ? { resourceId: f.resourceId } : {}),
    ...(f.since ? { since: new Date(f.since).toISOString() } : {}),
    ...(f.until ? { until: new Date(f.until).toISOString() } : {}),
  };
  const { data, error, loading } = useOperation(AdminAuditTrail, { filter, first: 25, after });
  const verify = useAction();
  const [verdict, setVerdict] = useState<AdminVerifyChainQuery['verifyAuditTrail'] | null>(null);
  const field = (name: keyof typeof f, label: string, type = 'text') => (
    <label>{label}<input type={type} value={f[name]} onChange={(e) => (setF({ ...f, [name]: e.target.value }), setAfter(null))} /></label>
  );
  return (
    <section aria-busy={loading}>
      <h1>Audit trail</h1>
      <div className="verify">
        <button type="button" disabled={verify.busy} onClick={() => void verify.act(AdminVerifyChain, {}).then((r) => r && setVerdict(r.verifyAuditTrail))}>Verify chain</button>
        {verdict && (
          <p role="status">
            {verdict.valid ? `The chain is intact: ${verdict.checked} records checked.` : `The chain is broken at record ${verdict.firstBrokenId ?? 'unknown'} (${verdict.checked} checked).`}
          </p>
        )}
        {verify.error && <p role="alert">{verify.error.message}</p>}
      </div>
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        {field('actorId', 'Actor')}
        {field('action', 'Action')}
        {field('resourceType', 'Resource type')}
        {field('resourceId', 'Resource')}
        {field('since', 'Since', 'datetime-local')}
        {field('until', 'Until', 'datetime-local')}
      </form>
      {error && <p role="alert">{error}</p>}
      <p className="muted">{data?.auditEvents.totalCount ?? 0} records</p>
      <table>
        <thead><tr><th>When</th><th>Action</th><th>Outcome</th><th>Actor</th><th>Resource</th><th>Service</th><th>Address</th></tr></thead>
        <tbody>
          {data?.auditEvents.edges.map(({ node: e }) => (
            <tr key={e.id}>
              <td>{when(e.occurredAt)}</td><td>{e.action}</td><td>{e.outcome}</td><td>{e.actor?.id ?? '—'}</td>
              <td>{e.resourceType ? `${e.resourceType} ${e.resourceId ?? ''}` : '—'}</td><td>{e.service}</td><td>{e.ip ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {data?.auditEvents.pageInfo.hasNextPage && <button type="button" onClick={() => setAfter(data.auditEvents.pageInfo.endCursor ?? null)}>Next page</button>}
      {after && <button type="button" onClick={() => setAfter(null)}>First page</button>}
    </section>
  );
}
