import { AdminDashboard } from '../generated/operations.ts';
import { useOperation, when } from '../useOperation.ts';

const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'] as const;

function Bars({ label, rows }: { label: string; rows: { key: string; count: number }[] }) {
  const max = Math.max(1, ...rows.map((r) => r.count));
  return (
    <figure className="bars" aria-label={label}>
      <figcaption>{label}</figcaption>
      {rows.length === 0 && <p className="muted">Nothing in this window.</p>}
      {rows.map((r) => (
        <div className="bar-row" key={r.key}>
          <span className="bar-label">{r.key}</span>
          <span className="bar" style={{ width: `${(r.count / max) * 100}%` }} data-severity={r.key} />
          <span className="bar-count">{r.count}</span>
        </div>
      ))}
    </figure>
  );
}

export function Dashboard() {
  const { data, error, loading } = useOperation(AdminDashboard, { windowHours: 24 }, { refreshMs: 15_000 });
  const stats = data?.securityStats;
  return (
    <section aria-busy={loading}>
      <h1>Dashboard</h1>
      {error && <p role="alert">{error}</p>}
      {stats && (
        <>
          <dl className="tiles">
            <div><dt>Events (24 h)</dt><dd>{stats.totalEvents}</dd></div>
            <div><dt>Failed sign-ins</dt><dd>{stats.failedLogins}</dd></div>
            <div><dt>Access denials</dt><dd>{stats.accessDenials}</dd></div>
            <div><dt>Rate limited</dt><dd>{stats.rateLimited}</dd></div>
          </dl>
          <div className="charts">
            <Bars label="Alerts by severity" rows={SEVERITIES.map((s) => ({ key: s, count: stats.alertsBySeverity.find((x) => x.severity === s)?.count ?? 0 }))} />
            <Bars label="Top source addresses" rows={stats.topSourceIps.map((x) => ({ key: x.ip, count: x.count }))} />
          </div>
        </>
      )}
      {data && (
        <>
          <h2>Latest alerts</h2>
          <table>
            <thead><tr><th>When</th><th>Severity</th><th>Type</th><th>Description</th></tr></thead>
            <tbody>
              {data.securityAlerts.edges.map(({ node: a }) => (
                <tr key={a.id}><td>{when(a.createdAt)}</td><td>{a.severity}</td><td>{a.type}</td><td>{a.description}</td></tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
