import postgres from 'postgres';

/**
 * The demo's source database: a small shop schema with the shapes real tables have
 * (a composite key, an enum, numerics, dates, uuids, text of both sizes, an
 * updated_at watermark kept by a trigger).
 */
const SCHEMA = `
create schema if not exists shop;
do $$ begin
  create type shop.order_status as enum ('new', 'paid', 'shipped', 'cancelled');
exception when duplicate_object then null; end $$;

create or replace function shop.touch_updated_at() returns trigger language plpgsql as $$
begin new.updated_at := now(); return new; end $$;

create table if not exists shop.products (
  sku varchar(40) primary key,
  name varchar(200) not null,
  description text,
  price numeric(10,2) not null,
  in_stock integer not null default 0,
  discontinued boolean not null default false,
  launched_on date,
  updated_at timestamptz not null default now()
);
create table if not exists shop.order_lines (
  order_id bigint not null,
  line_no integer not null,
  sku varchar(40) not null,
  quantity integer not null,
  unit_price numeric(10,2) not null,
  status shop.order_status not null default 'new',
  customer_ref uuid not null default gen_random_uuid(),
  ordered_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (order_id, line_no)
);
drop trigger if exists products_touch on shop.products;
create trigger products_touch before update on shop.products for each row execute function shop.touch_updated_at();
drop trigger if exists order_lines_touch on shop.order_lines;
create trigger order_lines_touch before update on shop.order_lines for each row execute function shop.touch_updated_at();
`;

const PRODUCTS: Array<[string, string, string, number, number, boolean, string]> = [
  ['LMP-001', 'Desk lamp', 'Adjustable LED desk lamp with three colour temperatures.', 39.9, 120, false, '2023-02-01'],
  ['CHR-010', 'Office chair', 'Ergonomic mesh chair, lumbar support, 5-year warranty.', 249.0, 35, false, '2022-09-15'],
  ['DSK-100', 'Standing desk', 'Electric sit/stand desk, 160 x 80 cm.', 599.0, 12, false, '2023-06-01'],
  ['MON-27Q', '27" monitor', 'QHD IPS monitor, USB-C power delivery.', 329.5, 40, false, '2024-01-10'],
  ['KBD-MX', 'Mechanical keyboard', 'Tenkeyless, hot-swappable switches.', 129.0, 0, true, '2021-11-20'],
];

export async function createSampleSource(adminUrl: string, database = 'syncbridge_demo'): Promise<string> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const [exists] = await admin`select 1 from pg_database where datname = ${database}`;
    if (!exists) await admin.unsafe(`create database "${database}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  const sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(SCHEMA);
    const [{ n }] = (await sql`select count(*)::int as n from shop.products`) as unknown as [{ n: number }];
    if (n === 0) {
      const rows = PRODUCTS.map(([sku, name, description, price, in_stock, discontinued, launched_on]) => ({
        sku,
        name,
        description,
        price,
        in_stock,
        discontinued,
        launched_on,
      }));
      await sql`insert into shop.products ${sql(rows)}`;
      await sql`
        insert into shop.order_lines (order_id, line_no, sku, quantity, unit_price, status)
        select 1000 + g / 3, g % 3 + 1, (array['LMP-001','CHR-010','DSK-100','MON-27Q'])[1 + g % 4], 1 + g % 5,
               (array[39.9, 249.0, 599.0, 329.5])[1 + g % 4], (array['new','paid','shipped'])[1 + g % 3]::shop.order_status
        from generate_series(0, 59) g`;
    }
  } finally {
    await sql.end();
  }
  return url.toString();
}
