import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyMigrations, connectMetaStore, MIGRATIONS_FOLDER, type MetaStore } from '@syncbridge/shared/db';
import { createTestDatabase, type TestDatabase } from '../harness/database.ts';

/*
 * Users' meta-stores ran the migrations of the version they run. An upgrade applies every
 * newer migration in one go (drizzle runs them in one transaction): this test takes a
 * meta-store as 0.1 left it, with data, and upgrades it to this version.
 */

/** A copy of the migrations folder holding only the first `count` migrations. */
function migrationsUpTo(count: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'sb-migrations-'));
  cpSync(MIGRATIONS_FOLDER, dir, { recursive: true });
  const journalPath = join(dir, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: unknown[] };
  journal.entries = journal.entries.slice(0, count);
  writeFileSync(journalPath, JSON.stringify(journal));
  return dir;
}

describe('meta-store upgrade from 0.1 (migration 0000 with data) to this version', () => {
  let db: TestDatabase;
  let store: MetaStore;
  const dirs: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('sb_upgrade');
    store = connectMetaStore(db.url, { max: 2 });
    dirs.push(migrationsUpTo(1));
    await migrate(store.db, { migrationsFolder: dirs[0]! });
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('keeps definitions, pins them to their instance, and moves their schedules', async () => {
    const sql = store.sql;
    const [app] = await sql`insert into apps (name, owner_team) values ('legacy', 'team') returning id`;
    const [database] = await sql`insert into databases (app_id, name, engine, environment) values (${app!.id}, 'db', 'postgres', 'prod') returning id`;
    const [instance] =
      await sql`insert into database_instances (database_id, name, host, port, database_name, username, role) values (${database!.id}, 'primary', 'h', 5432, 'd', 'u', 'primary') returning id`;
    const [scheduled] = await sql`
      insert into sync_definitions (app_id, name, source_instance_id, source_schema, source_table, key_strategy, key_columns, cursor_strategy, cursor_column, schedule_interval_seconds, enabled)
      values (${app!.id}, 'scheduled', ${instance!.id}, 'public', 't', 'pk', '{id}', 'updated_at', 'at', 30, false) returning id`;
    const [cron] = await sql`
      insert into sync_definitions (app_id, name, source_instance_id, source_schema, source_table, key_strategy, key_columns, cursor_strategy, schedule_cron)
      values (${app!.id}, 'cron', ${instance!.id}, 'public', 't2', 'pk', '{id}', 'full_scan', '*/5 * * * *') returning id`;
    await sql`insert into sync_definitions (app_id, name, source_instance_id, source_schema, source_table, key_strategy, key_columns, cursor_strategy)
      values (${app!.id}, 'manual', ${instance!.id}, 'public', 't3', 'pk', '{id}', 'full_scan')`;
    await sql`insert into sync_runs (definition_id, kind, workflow_id, status) values (${scheduled!.id}, 'push', 'push/x/1', 'running')`;

    await applyMigrations(store);

    const defs = await sql<
      Array<{ name: string; database_id: string; source_instance_id: string }>
    >`select name, database_id, source_instance_id from sync_definitions order by name`;
    expect(defs.map((d) => [d.name, d.database_id, d.source_instance_id])).toEqual([
      ['cron', database!.id, instance!.id],
      ['manual', database!.id, instance!.id],
      ['scheduled', database!.id, instance!.id],
    ]);
    const schedules = await sql<Array<{ definition_id: string; kind: string; cron: string | null; interval_seconds: number | null; paused: boolean }>>`
      select definition_id, kind::text, cron, interval_seconds, paused from operation_schedules order by cron nulls first`;
    expect(schedules).toEqual([
      { definition_id: scheduled!.id, kind: 'push', cron: null, interval_seconds: 30, paused: false },
      { definition_id: cron!.id, kind: 'push', cron: '*/5 * * * *', interval_seconds: null, paused: false },
    ]);
    const [run] = await sql`select status, options, context from sync_runs`;
    expect(run).toEqual({ status: 'running', options: {}, context: null });
    // New enum values are usable once the upgrade has committed.
    await sql`insert into sync_runs (kind, workflow_id, status) values ('rebind', 'rebind/x/1', 'awaiting_approval')`;
  });
});
