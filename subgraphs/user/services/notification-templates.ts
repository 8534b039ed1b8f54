import type { IntegrationEvent } from '@palisade/kit';

export interface NotificationText {
  subject: string;
  text: string;
}

/**
 * A value someone typed (a product's name), made safe to put in a mail: no control or bidi characters (a
 * newline in a subject is a header injection), no markup if a client renders it as HTML, and short.
 */
export function plain(value: string, max = 120): string {
  const cleaned = value
    .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return cleaned.length > max ? `${cleaned.slice(0, max - 1)}…` : cleaned;
}

const ORDER_TEXT: Record<Extract<IntegrationEvent, { type: `order.${string}` }>['type'], { subject: string; line: string }> = {
  'order.placed': { subject: 'We received your order', line: 'Thank you: we received your order and are preparing it.' },
  'order.confirmed': { subject: 'Your order is confirmed', line: 'Your order is confirmed.' },
  'order.shipped': { subject: 'Your order has shipped', line: 'Your order is on its way.' },
  'order.delivered': { subject: 'Your order was delivered', line: 'Your order was delivered. We hope you enjoy it.' },
  'order.cancelled': { subject: 'Your order was cancelled', line: 'Your order was cancelled; any payment for it will be returned.' },
};

/**
 * The mail of one event. Only values the services produced go in as they are (ids, amounts, statuses, all
 * checked by the event's schema); the one thing a person typed (a product's name) goes through plain().
 * Customers' own names and addresses are not included.
 */
export function renderNotification(event: IntegrationEvent): NotificationText {
  if (event.type === 'product.low_stock') {
    const d = event.data;
    return {
      subject: 'Low stock alert',
      text: `${plain(d.name)} (SKU ${plain(d.sku, 60)}) is down to ${d.available} available, at or below its reorder point of ${d.reorderPoint}.\n\nProduct id: ${d.productId}\n`,
    };
  }
  const t = ORDER_TEXT[event.type];
  const d = event.data;
  return {
    subject: t.subject,
    text: `Hello,\n\n${t.line}\n\nOrder: ${d.orderId}\nStatus: ${d.status}\nTotal: ${d.total.amount} ${d.total.currency}\n`,
  };
}
