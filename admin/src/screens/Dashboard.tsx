import { AdminDashboard, type AdminDashboardQuery } from '../generated/operations.ts';
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

type Bucket = AdminDashboardQuery['securityStats']['timeline'][number];

/** Events per slice as bars, failed sign-ins and alerts (by severity) drawn over them. */
function Timeline({ buckets }: { buckets: Bucket[] }) {
  const W = 720;
  const H = 140;
  const max = Math.max(1, ...buckets.map((b) => b.events));
  const w = W / Math.max(1, buckets.length);
  const alerts = (b: Bucket) => b.alertsBySeverity.reduce((n, s) => n + s.count, 0);
  const total = buckets.reduce((n, b) => n + b.events, 0);
  const label = `Events over the last ${buckets.length} slices: ${total} events, ${buckets.reduce((n, b) => n + b.failedLogins, 0)} failed sign-ins, ${buckets.reduce((n, b) => n + alerts(b), 0)} alerts`;
  return (
    <figure className="bars timeline">
      <figcaption>Events, failed sign-ins and alerts over time</figcaption>
      <svg viewBox={`0 0 ${W} ${H + 16}`} role="img" aria-label={label}>
        {buckets.map((b, i) => {
          const x = i * w;
          const h = (b.events / max) * H;
          const f = (b.failedLogins / max) * H;
          const severe = b.alertsBySeverity.filter((s) => s.severity === 'CRITICAL' || s.severity === 'HIGH').reduce((n, s) => n + s.count, 0);
          return (
            <g key={b.start}>
              <title>{`${new Date(b.start).toLocaleString()}: ${b.events} events, ${b.failedLogins} failed sign-ins, ${alerts(b)} alerts (${b.alertsBySeverity.map((s) => `${s.count} ${s.severity.toLowerCase()}`).join(', ')})`}</title>
              <rect x={x + 1} y={H - h} width={Math.max(1, w - 2)} height={h} className="ev" />
              <rect x={x + 1} y={H - f} width={Math.max(1, w - 2)} height={f} className="failed" />
              {alerts(b) > 0 && <circle cx={x + w / 2} cy={H + 8} r={Math.min(7, 3 + alerts(b))} className={severe ? 'alert-severe' : 'alert'} />}
            </g>
          );
        })}
      </svg>
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
          <Timeline buckets={stats.timeline} />
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
