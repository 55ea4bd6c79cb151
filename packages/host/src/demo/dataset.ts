import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Row counts of the demo e-commerce dataset; the generator is seeded, so every run writes the same bytes. */
export const DEMO_TABLES = { customers: 500, products: 120, orders: 2000, order_items: 5000 } as const;

/** mulberry32: a small seeded PRNG, enough for stable demo data. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ['Ada', 'Ben', 'Cleo', 'Dan', 'Eva', 'Finn', 'Gia', 'Hugo', 'Iris', 'Jon', 'Kai', 'Lena', 'Milo', 'Nora', 'Otto', 'Pia'];
const LAST = ['Novak', 'Smith', 'Garcia', 'Kowalski', 'Müller', 'Rossi', 'Dubois', 'Svoboda', 'Tanaka', 'Olsen'];
const COUNTRIES = ['CZ', 'DE', 'US', 'GB', 'FR', 'PL', 'SK', 'AT'];
const SEGMENTS = ['consumer', 'small_business', 'enterprise'];
const CATEGORIES = ['books', 'electronics', 'garden', 'kitchen', 'sports', 'toys'];
const STATUSES = ['delivered', 'delivered', 'delivered', 'shipped', 'processing', 'cancelled', 'returned'];

function csv(header: string[], rows: (string | number)[][]): string {
  const cell = (v: string | number) => (typeof v === 'string' && /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : String(v));
  return [header.join(','), ...rows.map((r) => r.map(cell).join(','))].join('\n') + '\n';
}

const day = (r: () => number, from: number, spanDays: number) => new Date(from + Math.floor(r() * spanDays) * 86_400_000).toISOString().slice(0, 10);

/** The four demo tables as CSV text, keyed by file name. */
export function generateDemoDataset(): Record<string, string> {
  const r = rng(20261122);
  const start = Date.UTC(2024, 0, 1);
  const customers = Array.from({ length: DEMO_TABLES.customers }, (_, i) => {
    const first = FIRST[Math.floor(r() * FIRST.length)];
    const last = LAST[Math.floor(r() * LAST.length)];
    return [
      i + 1,
      `${first} ${last}`,
      `${first}.${last}.${i + 1}@example.com`.toLowerCase(),
      COUNTRIES[Math.floor(r() * COUNTRIES.length)],
      SEGMENTS[Math.floor(r() * SEGMENTS.length)],
      day(r, start, 365),
    ];
  });
  const products = Array.from({ length: DEMO_TABLES.products }, (_, i) => {
    const category = CATEGORIES[Math.floor(r() * CATEGORIES.length)];
    return [i + 1, `${category} item ${i + 1}`, category, Math.round((3 + r() * 297) * 100) / 100, r() < 0.9 ? 'true' : 'false'];
  });
  const orders = Array.from({ length: DEMO_TABLES.orders }, (_, i) => [
    i + 1,
    1 + Math.floor(r() * DEMO_TABLES.customers),
    day(r, start, 700),
    STATUSES[Math.floor(r() * STATUSES.length)],
    COUNTRIES[Math.floor(r() * COUNTRIES.length)],
  ]);
  const items: (string | number)[][] = [];
  for (let i = 0; i < DEMO_TABLES.order_items; i++) {
    // Every order gets at least one item; the rest are spread at random.
    const orderId = i < DEMO_TABLES.orders ? i + 1 : 1 + Math.floor(r() * DEMO_TABLES.orders);
    const product = products[Math.floor(r() * products.length)];
    const qty = 1 + Math.floor(r() * 4);
    const discount = r() < 0.2 ? Math.round(r() * 30) / 100 : 0;
    items.push([i + 1, orderId, product[0], qty, product[3], discount]);
  }
  return {
    'customers.csv': csv(['customer_id', 'name', 'email', 'country', 'segment', 'signup_date'], customers),
    'products.csv': csv(['product_id', 'name', 'category', 'unit_price', 'active'], products),
    'orders.csv': csv(['order_id', 'customer_id', 'order_date', 'status', 'ship_country'], orders),
    'order_items.csv': csv(['order_item_id', 'order_id', 'product_id', 'quantity', 'unit_price', 'discount'], items),
  };
}

/** Writes the demo CSVs into `folder` once; an existing folder is left as it is. */
export async function ensureDemoFiles(folder: string): Promise<boolean> {
  if (existsSync(folder)) return false;
  const tmp = `${folder}.tmp-${process.pid}`;
  await mkdir(tmp, { recursive: true });
  for (const [name, text] of Object.entries(generateDemoDataset())) await writeFile(join(tmp, name), text);
  await rename(tmp, folder);
  return true;
}
