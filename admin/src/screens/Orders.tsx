import { useState } from 'react';
import { AdminOrders, AdminUpdateOrderStatus, type OrderStatus } from '../generated/operations.ts';
import { useAction, useOperation, when } from '../useOperation.ts';

// The transitions the API allows; the API still refuses any other.
const NEXT: Record<OrderStatus, OrderStatus[]> = { PENDING: ['CONFIRMED', 'CANCELLED'], CONFIRMED: ['SHIPPED', 'CANCELLED'], SHIPPED: ['DELIVERED'], DELIVERED: [], CANCELLED: [] };

export function Orders() {
  const [status, setStatus] = useState<OrderStatus | ''>('');
  const [after, setAfter] = useState<string | null>(null);
  const { data, error, reload } = useOperation(AdminOrders, { filter: status ? { status } : {}, first: 20, after });
  const action = useAction();
  return (
    <section>
      <h1>Orders</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <label>Status
          <select value={status} onChange={(e) => (setStatus(e.target.value as OrderStatus | ''), setAfter(null))}>
            <option value="">Any</option>
            {Object.keys(NEXT).map((s) => <option key={s}>{s}</option>)}
          </select>
        </label>
      </form>
      {(error ?? action.error) && <p role="alert">{error ?? action.error}</p>}
      <table>
        <thead><tr><th>Placed</th><th>Order</th><th>Customer</th><th>Total</th><th>Status</th><th></th></tr></thead>
        <tbody>
          {data?.orders.edges.map(({ node: o }) => (
            <tr key={o.id}>
              <td>{when(o.createdAt)}</td><td>{o.id.slice(0, 8)}</td><td>{o.customer.id.slice(0, 8)}</td><td>{o.total.amount} {o.total.currency}</td><td>{o.status}</td>
              <td>{NEXT[o.status].map((s) => (
                <button key={s} type="button" onClick={() => void action.act(AdminUpdateOrderStatus, { id: o.id, status: s }).then(() => reload())}>Mark {s.toLowerCase()}</button>
              ))}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {data?.orders.pageInfo.hasNextPage && <button type="button" onClick={() => setAfter(data.orders.pageInfo.endCursor ?? null)}>Next page</button>}
    </section>
  );
}
