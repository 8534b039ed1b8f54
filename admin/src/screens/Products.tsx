import { useState, type FormEvent } from 'react';
import { AdminAdjustStock, AdminArchiveProduct, AdminCreateProduct, AdminProducts, AdminUpdateProduct, type AdminProductsQuery } from '../generated/operations.ts';
import { currentSession } from '../api.ts';
import { Field } from '../Field.tsx';
import { useAction, useOperation } from '../useOperation.ts';
import { Categories } from './Categories.tsx';

type Product = AdminProductsQuery['products']['edges'][number]['node'];
const EMPTY = { sku: '', name: '', description: '', price: '', currency: 'USD', categoryId: '', initialStock: '0' };

/** Create or edit one product; the form keeps what was typed when the API refuses it. */
function ProductEditor({ product, categories, done }: { product: Product | null; categories: AdminProductsQuery['categories']; done: () => void }) {
  const action = useAction();
  const [draft, setDraft] = useState(
    product ? { sku: product.sku, name: product.name, description: product.description, price: product.price.amount, currency: product.price.currency, categoryId: product.category?.id ?? '', initialStock: '0' } : EMPTY,
  );
  const canSetStock = currentSession()?.scopes.includes('stock:adjust') ?? false;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const common = { name: draft.name, description: draft.description, price: draft.price, currency: draft.currency };
    const ok = product
      ? await action.act(AdminUpdateProduct, { id: product.id, input: { ...common, categoryId: draft.categoryId || null } })
      : await action.act(AdminCreateProduct, { input: { ...common, sku: draft.sku, ...(draft.categoryId ? { categoryId: draft.categoryId } : {}), ...(canSetStock ? { initialStock: Number(draft.initialStock) } : {}) } });
    if (ok) {
      if (!product) setDraft(EMPTY);
      done();
    }
  };
  const field = (name: keyof typeof EMPTY, label: string, extra: { required?: boolean; type?: string } = {}) => (
    <Field label={label} value={draft[name]} error={action.errorFor(name)} onChange={(e) => setDraft({ ...draft, [name]: e.target.value })} {...extra} />
  );
  return (
    <form className="editor" onSubmit={submit} aria-label={product ? `Edit ${product.name}` : 'New product'}>
      {action.general && <p role="alert">{action.general}</p>}
      {!product && field('sku', 'SKU', { required: true })}
      {field('name', 'Name', { required: true })}
      {field('description', 'Description')}
      {field('price', 'Price', { required: true })}
      {field('currency', 'Currency', { required: true })}
      <label>Category
        <select value={draft.categoryId} onChange={(e) => setDraft({ ...draft, categoryId: e.target.value })}>
          <option value="">None</option>
          {categories.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
        </select>
      </label>
      {!product && canSetStock && field('initialStock', 'Initial stock', { type: 'number' })}
      <button type="submit" disabled={action.busy} aria-busy={action.busy}>{action.busy ? 'Saving…' : product ? 'Save changes' : 'Create product'}</button>
    </form>
  );
}

function StockForm({ product, done }: { product: Product; done: () => void }) {
  const action = useAction();
  const [delta, setDelta] = useState('');
  const [reason, setReason] = useState('');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (await action.act(AdminAdjustStock, { id: product.id, delta: Number(delta), reason })) (setDelta(''), setReason(''), done());
  };
  return (
    <form className="editor" onSubmit={submit} aria-label={`Adjust stock of ${product.name}`}>
      {action.general && <p role="alert">{action.general}</p>}
      <Field label="Change stock by" type="number" required value={delta} error={action.errorFor('delta')} onChange={(e) => setDelta(e.target.value)} />
      <Field label="Reason" required value={reason} error={action.errorFor('reason')} onChange={(e) => setReason(e.target.value)} />
      <button type="submit" disabled={action.busy} aria-busy={action.busy}>{action.busy ? 'Adjusting…' : 'Adjust stock'}</button>
    </form>
  );
}

export function Products() {
  const [search, setSearch] = useState('');
  const [categoryId, setCategoryId] = useState('');
  const [after, setAfter] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const filter = { includeInactive: true, ...(search ? { search } : {}), ...(categoryId ? { categoryId } : {}) };
  const { data, error, reload, loading } = useOperation(AdminProducts, { filter, first: 20, after });
  const archive = useAction();
  const scopes = currentSession()?.scopes ?? [];
  const canWrite = scopes.includes('product:write');
  const product = data?.products.edges.find((e) => e.node.id === selected)?.node ?? null;
  return (
    <section aria-busy={loading}>
      <h1>Products</h1>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>Search<input type="search" value={search} onChange={(e) => (setSearch(e.target.value), setAfter(null))} /></label>
        <label>Category
          <select value={categoryId} onChange={(e) => (setCategoryId(e.target.value), setAfter(null))}>
            <option value="">All</option>
            {data?.categories.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
          </select>
        </label>
      </form>
      {(error ?? archive.general) && <p role="alert">{error ?? archive.general}</p>}
      <table>
        <caption className="muted">{data?.products.totalCount ?? 0} products</caption>
        <thead><tr><th>SKU</th><th>Name</th><th>Price</th><th>Stock</th><th>Category</th><th>Status</th><th>Actions</th></tr></thead>
        <tbody>
          {data?.products.edges.map(({ node: p }) => (
            <tr key={p.id} aria-selected={p.id === selected}>
              <td>{p.sku}</td><td>{p.name}</td><td>{p.price.amount} {p.price.currency}</td><td>{p.stock}</td><td>{p.category?.name ?? '—'}</td>
              <td>{p.active ? 'Active' : 'Archived'}</td>
              <td>
                {canWrite && <button type="button" onClick={() => setSelected(p.id)} aria-label={`Manage ${p.name}`}>Manage</button>}
                {scopes.includes('product:archive') && p.active && (
                  <button type="button" aria-label={`Archive ${p.name}`} disabled={archive.busy} onClick={() => void archive.act(AdminArchiveProduct, { id: p.id }).then(() => reload())}>Archive</button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {data?.products.pageInfo.hasNextPage && <button type="button" onClick={() => setAfter(data.products.pageInfo.endCursor ?? null)}>Next page</button>}
      {after && <button type="button" onClick={() => setAfter(null)}>First page</button>}
      {product && data && (
        <section aria-labelledby="manage-title">
          <h2 id="manage-title">{product.name}</h2>
          <ProductEditor key={product.id} product={product} categories={data.categories} done={() => void reload()} />
          {scopes.includes('stock:adjust') && <StockForm product={product} done={() => void reload()} />}
          <button type="button" onClick={() => setSelected(null)}>Close</button>
        </section>
      )}
      {canWrite && data && (
        <>
          <h2>New product</h2>
          <ProductEditor product={null} categories={data.categories} done={() => void reload()} />
        </>
      )}
      {scopes.includes('category:write') && data && <Categories categories={data.categories} changed={() => void reload()} />}
    </section>
  );
}
