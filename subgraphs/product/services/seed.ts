import type { Db } from '@palisade/kit';
import { categories, products } from '../db/schema.ts';

const CATEGORIES = [
  { slug: 'electronics', name: 'Electronics' },
  { slug: 'books', name: 'Books' },
  { slug: 'home', name: 'Home & Kitchen' },
  { slug: 'outdoor', name: 'Outdoor' },
];

const PRODUCTS: [string, string, string, number, string, number][] = [
  ['EL-HEADPHONES', 'Wireless Noise-Cancelling Headphones', 'Over-ear headphones with 30 hours of battery life.', 29999, 'electronics', 40],
  ['EL-KEYBOARD', 'Mechanical Keyboard', 'Tenkeyless keyboard with hot-swappable switches.', 12950, 'electronics', 75],
  ['EL-MONITOR', '27" 4K Monitor', 'IPS panel, USB-C with 90 W power delivery.', 44900, 'electronics', 25],
  ['BK-DDIA', 'Designing Data-Intensive Applications', 'The big ideas behind reliable, scalable systems.', 4599, 'books', 120],
  ['BK-SICP', 'Structure and Interpretation of Computer Programs', 'The classic introduction to programming.', 5500, 'books', 60],
  ['BK-GRAPHQL', 'Production Ready GraphQL', 'Designing and running GraphQL APIs at scale.', 3900, 'books', 90],
  ['HM-KETTLE', 'Gooseneck Kettle', 'Variable-temperature electric kettle for pour-over.', 8900, 'home', 50],
  ['HM-KNIFE', "Chef's Knife 8\"", 'Forged stainless steel, full tang.', 7450, 'home', 80],
  ['HM-GRINDER', 'Burr Coffee Grinder', 'Conical burrs, 40 grind settings.', 15900, 'home', 35],
  ['OD-TENT', 'Two-Person Tent', 'Freestanding, 1.6 kg, three-season.', 32900, 'outdoor', 30],
  ['OD-BOTTLE', 'Insulated Water Bottle', 'Keeps drinks cold for 24 hours.', 2999, 'outdoor', 200],
  ['OD-HEADLAMP', 'Rechargeable Headlamp', '400 lumens, red night mode.', 4200, 'outdoor', 150],
];

/** A demo catalog for development; idempotent, so every start may run it. */
export async function seedDemoCatalog(db: Db): Promise<void> {
  await db.insert(categories).values(CATEGORIES).onConflictDoNothing();
  const rows = await db.select({ id: categories.id, slug: categories.slug }).from(categories);
  const bySlug = new Map(rows.map((r) => [r.slug, r.id]));
  await db
    .insert(products)
    .values(PRODUCTS.map(([sku, name, description, priceCents, cat, stock]) => ({ sku, name, description, priceCents, currency: 'USD', categoryId: bySlug.get(cat) ?? null, stock })))
    .onConflictDoNothing();
}
