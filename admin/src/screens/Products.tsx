import { useState, type FormEvent } from 'react';
import { AdminAdjustStock, AdminArchiveProduct, AdminCreateProduct, AdminProducts } from '../generated/operations.ts';
import { currentSession } from '../api.ts';
import { useAction, useOperation } from '../useOperation.ts';

const EMPTY = { sku: '', name: '', description: '', price: '', currency: 'USD', categoryId: '', initialStock: '0' };

export function Products() {
  const [search, setSearch] = useState('');
  const [categoryId, setCategoryId] = useState('');
  const [after, setAfter] = useState<string | null>(null);
  const filter = { includeInactive: true, ...(search ? { search } : {}), ...(categoryId ? { categoryId } : {}) };
  const { data, error, reload } = useOperation(AdminProducts, { filter, first: 20, after });
  const action = useAction();
  const [draft, setDraft] = useState(EMPTY);
  const canArchive = currentSession()?.scopes.includes('product:archive') ?? false;

  const create = async (e: FormEvent) => {
    e.preventDefault();
    const { initialStock, categoryId: cat, ...rest } = draft;
    const done = await action.act(AdminCreateProduct, { input: { ...rest, initialStock: Number(initialStock), ...(cat ? { categoryId: cat } : {}) } });
    if (done) (setDraft(EMPTY), void reload());
  };
  const adjust = async (id: string) => {
    const delta = Number(window.prompt('Change stock by (e.g. 5 or -2)') ?? '');
    const reason = window.prompt('Reason') ?? '';
    if (!Number.isInteger(delta) || delta === 0 || !reason) return;
    if (await action.act(AdminAdjustStock, { id, delta, reason })) void reload();
  };
  const input = (name: keyof typeof EMPTY, label: string) => (
    <label>{label}<input value={draft[name]} onChange={(e) => setDraft({ ...draft, [name]: e.target.value })} /></label>
  );
  return (
    <section>
      <h1>Products</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <label>Search<input type="search" value={search} onChange={(e) => (setSearch(e.target.value), setAfter(null))} /></label>
        <label>Category
          <select value={categoryId} onChange={(e) => (setCategoryId(e.target.value), setAfter(null))}>
            <option value="">All</option>
            {data?.categories.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
          </select>
        </label>
      </form>
      {(error ?? action.error) && <p role="alert">{error ?? action.error}</p>}
      <table>
        <thead><tr><th>SKU</th><th>Name</th><th>Price</th><th>Stock</th><th>Category</th><th>Status</th><th></th></tr></thead>
        <tbody>
          {data?.products.edges.map(({ node: p }) => (
            <tr key={p.id}>
              <td>{p.sku}</td><td>{p.name}</td><td>{p.price.amount} {p.price.currency}</td><td>{p.stock}</td><td>{p.category?.name ?? '—'}</td>
              <td>{p.active ? 'Active' : 'Archived'}</td>
              <td>
                <button type="button" onClick={() => void adjust(p.id)}>Adjust stock</button>
                {canArchive && p.active && <button type="button" onClick={() => void action.act(AdminArchiveProduct, { id: p.id }).then(() => reload())}>Archive</button>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {data?.products.pageInfo.hasNextPage && <button type="button" onClick={() => setAfter(data.products.pageInfo.endCursor ?? null)}>Next page</button>}
      <h2>New product</h2>
      <form className="editor" onSubmit={create}>
        {input('sku', 'SKU')}{input('name', 'Name')}{input('description', 'Description')}{input('price', 'Price')}{input('currency', 'Currency')}
        <label>Category
          <select value={draft.categoryId} onChange={(e) => setDraft({ ...draft, categoryId: e.target.value })}>
            <option value="">None</option>
            {data?.categories.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
          </select>
        </label>
        {input('initialStock', 'Initial stock')}
        <button type="submit" disabled={action.busy}>Create product</button>
      </form>
    </section>
  );
}
