import { useState } from 'react';
import { AdminRevokeUserSession, AdminSetUserActive, AdminSetUserRoles, AdminUserSessions, AdminUsers, type Role } from '../generated/operations.ts';
import { currentSession } from '../api.ts';
import { useAction, useOperation, when } from '../useOperation.ts';

const ROLES: Role[] = ['CUSTOMER', 'MANAGER', 'AUDITOR', 'ADMIN'];

function Sessions({ userId, canWrite }: { userId: string; canWrite: boolean }) {
  const { data, error, reload } = useOperation(AdminUserSessions, { id: userId });
  const action = useAction();
  if (error) return <p role="alert">{error}</p>;
  if (!data?.user) return <p aria-busy="true">Loading sessions…</p>;
  return (
    <section aria-labelledby="sessions-title">
      <h2 id="sessions-title">Sessions of {data.user.email}</h2>
      {action.general && <p role="alert">{action.general}</p>}
      {data.user.sessions.length === 0 && <p className="muted">No live sessions.</p>}
      <table>
        <thead><tr><th>Started</th><th>Last used</th><th>Expires</th><th>Address</th><th>Client</th><th></th></tr></thead>
        <tbody>
          {data.user.sessions.map((s) => (
            <tr key={s.id}>
              <td>{when(s.createdAt)}</td><td>{when(s.lastUsedAt)}</td><td>{when(s.expiresAt)}</td><td>{s.ip ?? '—'}</td><td>{s.userAgent ?? '—'}</td>
              <td>{canWrite && (
                <button type="button" disabled={action.busy} aria-label={`Revoke session started ${when(s.createdAt)}`} onClick={() => void action.act(AdminRevokeUserSession, { userId, sessionId: s.id }).then(() => reload())}>
                  {s.current ? 'Revoke (this session)' : 'Revoke'}
                </button>
              )}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function Users() {
  const [search, setSearch] = useState('');
  const [after, setAfter] = useState<string | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const { data, error, reload, loading } = useOperation(AdminUsers, { ...(search ? { search } : {}), first: 20, after });
  const action = useAction();
  const canWrite = currentSession()?.scopes.includes('user:write:any') ?? false;
  const toggleRole = (id: string, roles: Role[], role: Role) =>
    void action.act(AdminSetUserRoles, { userId: id, roles: roles.includes(role) ? roles.filter((r) => r !== role) : [...roles, role] }).then(() => reload());
  return (
    <section aria-busy={loading}>
      <h1>Users</h1>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>Search<input type="search" value={search} onChange={(e) => (setSearch(e.target.value), setAfter(null))} /></label>
      </form>
      {(error ?? action.general) && <p role="alert">{error ?? action.general}</p>}
      <table>
        <caption className="muted">{data?.users.totalCount ?? 0} users</caption>
        <thead><tr><th>Email</th><th>Name</th><th>Roles</th><th>Active</th><th></th></tr></thead>
        <tbody>
          {data?.users.edges.map(({ node: u }) => (
            <tr key={u.id}>
              <td>{u.email}</td><td>{u.displayName}</td>
              <td>{ROLES.map((r) => (
                <label key={r} className="inline"><input type="checkbox" disabled={!canWrite || action.busy} checked={u.roles.includes(r)} onChange={() => toggleRole(u.id, u.roles, r)} />{r}</label>
              ))}</td>
              <td><label className="inline"><input type="checkbox" disabled={!canWrite || action.busy} checked={u.active} onChange={() => void action.act(AdminSetUserActive, { userId: u.id, active: !u.active }).then(() => reload())} />{u.active ? 'Active' : 'Deactivated'}</label></td>
              <td><button type="button" aria-label={`Sessions of ${u.email}`} onClick={() => setOpen(u.id)}>Sessions</button></td>
            </tr>
          ))}
        </tbody>
      </table>
      {data?.users.pageInfo.hasNextPage && <button type="button" onClick={() => setAfter(data.users.pageInfo.endCursor ?? null)}>Next page</button>}
      {after && <button type="button" onClick={() => setAfter(null)}>First page</button>}
      {open && <Sessions key={open} userId={open} canWrite={canWrite} />}
    </section>
  );
}
