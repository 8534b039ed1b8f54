import type { ServiceMetrics } from '@palisade/kit';
import type { OrderRow } from '../db/schema.ts';
import type { OrderEvent } from './order.service.ts';

/**
 * The order KPIs on the service's registry: orders by event and revenue by currency. Revenue is what was
 * ordered, counted when the order is placed; a cancellation does not take it back (a counter only grows), so
 * net revenue is read beside palisade_orders_total{event="cancelled"} or from the orders themselves.
 */
export function orderKpis(m: ServiceMetrics): (event: OrderEvent, order: OrderRow) => void {
  const orders = m.counter('palisade_orders_total', 'Orders by event: placed, confirmed, shipped, delivered, cancelled (counted once committed)', ['event']);
  const revenue = m.counter('palisade_revenue_total', 'Value of placed orders by currency, in hundredths of the currency unit (cents), as every price is stored', ['currency']);
  return (event, order) => {
    orders.inc({ event });
    if (event === 'placed') revenue.inc({ currency: order.currency }, order.totalCents);
  };
}
