import { useState } from 'react';
import { AdminOrder, AdminOrders, AdminUpdateOrderStatus, type OrderStatus } from '../generated/operations.ts';
import { currentSession } from '../api.ts';
import { useAction, useOperation, when } from '../useOperation.ts';

// The transitions the order state machine allows; only these are offered, and the API refuses any other.
const NEXT: Record<OrderStatus, OrderStatus[]> = { PENDING: ['CONFIRMED', 'CANCELLED'], CONFIRMED: ['SHIPPED', 'CANCELLED'], SHIPPED: ['DELIVERED'], DELIVERED: [], CANCELLED: [] };

function OrderDetail({ id, changed }: { id: string; changed: () => void }) {
  const { data, error, reload } = useOperation(AdminOrder, { id });
  const action = useAction();
  const canWrite = currentSession()?.scopes.includes('order:write:any') ?? false;
  const o = data?.order;
  if (error) return <p role="alert">{error}</p>;
  if (!o) return <p aria-busy="true">Loading order…</p>;
  const a = o.shippingAddress;
  return (
    <section aria-labelledby="order-title">
      <h2 id="order-title">Order {o.id.slice(0, 8)}</h2>
      <p>{o.status} · placed {when(o.createdAt)} · last change {when(o.updatedAt)} · customer {o.customer.id}</p>
      <p>Ship to {[a.line1, a.line2, a.postalCode, a.city, a.region, a.country].filter(Boolean).join(', ')}</p>
      <table>
        <thead><tr><th>Item</th><th>Quantity</th><th>Unit price</th><th>Line total</th></tr></thead>
        <tbody>
          {o.items.map((i) => (
            <tr key={i.product.id}><td>{i.product.name} ({i.product.sku})</td><td>{i.quantity}</td><td>{i.unitPrice.amount} {i.unitPrice.currency}</td><td>{i.lineTotal.amount} {i.lineTotal.currency}</td></tr>
          ))}
        </tbody>
        <tfoot><tr><td colSpan={3}>Total</td><td>{o.total.amount} {o.total.currency}</td></tr></tfoot>
      </table>
      {action.general && <p role="alert">{action.general}</p>}
      {canWrite && NEXT[o.status].map((s) => (
        <button key={s} type="button" disabled={action.busy} onClick={() => void action.act(AdminUpdateOrderStatus, { id: o.id, status: s }).then((r) => r && (void reload(), changed()))}>
          Mark {s.toLowerCase()}
        </button>
      ))}
    </section>
  );
}

export function Orders() {
  const [status, setStatus] = useState<OrderStatus | ''>('');
  const [customerId, setCustomerId] = useState('');
  const [after, setAfter] = useState<string | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const filter = { ...(status ? { status } : {}), ...(/^[0-9a-f-]{36}$/i.test(customerId) ? { customerId } : {}) };
  const { data, error, reload, loading } = useOperation(AdminOrders, { filter, first: 20, after });
  return (
    <section aria-busy={loading}>
      <h1>Orders</h1>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>Status
          <select value={status} onChange={(e) => (setStatus(e.target.value as OrderStatus | ''), setAfter(null))}>
            <option value="">Any</option>
            {Object.keys(NEXT).map((s) => <option key={s}>{s}</option>)}
          </select>
        </label>
        <label>Customer id<input value={customerId} onChange={(e) => (setCustomerId(e.target.value.trim()), setAfter(null))} /></label>
      </form>
      {error && <p role="alert">{error}</p>}
      <table>
        <caption className="muted">{data?.orders.totalCount ?? 0} orders</caption>
        <thead><tr><th>Placed</th><th>Order</th><th>Customer</th><th>Total</th><th>Status</th><th></th></tr></thead>
        <tbody>
          {data?.orders.edges.map(({ node: o }) => (
            <tr key={o.id}>
              <td>{when(o.createdAt)}</td><td>{o.id.slice(0, 8)}</td><td>{o.customer.id.slice(0, 8)}</td><td>{o.total.amount} {o.total.currency}</td><td>{o.status}</td>
              <td><button type="button" aria-label={`Open order ${o.id.slice(0, 8)}`} onClick={() => setOpen(o.id)}>Open</button></td>
            </tr>
          ))}
        </tbody>
      </table>
      {data?.orders.pageInfo.hasNextPage && <button type="button" onClick={() => setAfter(data.orders.pageInfo.endCursor ?? null)}>Next page</button>}
      {after && <button type="button" onClick={() => setAfter(null)}>First page</button>}
      {open && <OrderDetail key={open} id={open} changed={() => void reload()} />}
    </section>
  );
}
