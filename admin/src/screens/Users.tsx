import { useState } from 'react';
import { AdminSetUserActive, AdminSetUserRoles, AdminUsers, type Role } from '../generated/operations.ts';
import { useAction, useOperation } from '../useOperation.ts';

const ROLES: Role[] = ['CUSTOMER', 'MANAGER', 'AUDITOR', 'ADMIN'];

export function Users() {
  const [search, setSearch] = useState('');
  const [after, setAfter] = useState<string | null>(null);
  const { data, error, reload, loading } = useOperation(AdminUsers, { ...(search ? { search } : {}), first: 20, after });
  const action = useAction();
  const toggleRole = (id: string, roles: Role[], role: Role) =>
    void action.act(AdminSetUserRoles, { userId: id, roles: roles.includes(role) ? roles.filter((r) => r !== role) : [...roles, role] }).then(() => reload());
  return (
    <section aria-busy={loading}>
      <h1>Users</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <label>Search<input type="search" value={search} onChange={(e) => (setSearch(e.target.value), setAfter(null))} /></label>
      </form>
      {(error ?? action.error) && <p role="alert">{error ?? action.error?.message}</p>}
      <table>
        <thead><tr><th>Email</th><th>Name</th><th>Roles</th><th>Active</th></tr></thead>
        <tbody>
          {data?.users.edges.map(({ node: u }) => (
            <tr key={u.id}>
              <td>{u.email}</td><td>{u.displayName}</td>
              <td>{ROLES.map((r) => (
                <label key={r} className="inline"><input type="checkbox" checked={u.roles.includes(r)} onChange={() => toggleRole(u.id, u.roles, r)} />{r}</label>
              ))}</td>
              <td><label className="inline"><input type="checkbox" checked={u.active} onChange={() => void action.act(AdminSetUserActive, { userId: u.id, active: !u.active }).then(() => reload())} />{u.active ? 'Active' : 'Deactivated'}</label></td>
            </tr>
          ))}
        </tbody>
      </table>
      {data?.users.pageInfo.hasNextPage && <button type="button" onClick={() => setAfter(data.users.pageInfo.endCursor ?? null)}>Next page</button>}
    </section>
  );
}
