import { describe, expect, it } from 'vitest';
import { contentHash, encodeSourceKey, KEY_COLUMN_NAME, type FieldMappingSpec, type RoutingRule } from '@syncbridge/shared/mapping';
import {
  keyCharLengthsOf,
  keyFamiliesOf,
  ledgerKeysFor,
  legacyKeyOf,
  planRows,
  prepareRow,
  type LedgerEntry,
  type PlanContext,
  type PreparedRow,
  type Quarantined,
  type RowPlan,
  type SourceRow,
} from '../src/push/plan.ts';
import { col, mapping, tableOf } from '../../shared/test/mapping/fixtures.ts';

/*
 * Table-driven unit tests of the push planner (planRows and the helpers it is built on):
 * pure, no database, no Graph. The IntrospectedTable is built by hand.
 */

const table = tableOf(
  [
    col('id', 'integer', { nullable: false }),
    col('created_at', 'timestamptz', { nullable: false }),
    col('seen_at', 'timestamp', { nullable: false }),
    // char(5): introspection reports family text, format_type "character(5)" and the declared length.
    col('code', 'text', { dataType: 'character(5)', udtName: 'bpchar', maxLength: 5, nullable: false }),
    col('slug', 'text'),
    col('name', 'text'),
    col('region', 'text'),
    col('amount', 'double'),
  ],
  { name: 'orders' },
);

const MAPPINGS: FieldMappingSpec[] = [mapping('name', 'note'), mapping('region', 'text'), mapping('amount', 'number')];
const TITLE_MAPPING: FieldMappingSpec[] = [...MAPPINGS, mapping('name', 'text', { targetColumn: 'Title' })];

type Target = PlanContext['targets'][number];
const target = (id: string, priority: number, routingRule: RoutingRule | null, isDefault = false): Target => ({ id, priority, routingRule, isDefault });

const SINGLE = [target('t-main', 0, null, true)];
const SINGLE_OTHER = [target('t-other', 0, null, true)];
const ROUTED = [
  target('t-main', 100, null, true),
  target('t-eu', 1, { column: 'region', op: 'in', values: ['eu', 'uk'] }),
  target('t-big-us', 2, {
    all: [
      { column: 'region', op: 'eq', value: 'us' },
      { column: 'amount', op: 'gte', value: 1000 },
    ],
  }),
];
const ROUTED_NO_DEFAULT = ROUTED.filter((t) => !t.isDefault);

function context(
  keyColumns: string[],
  opts: { mappings?: FieldMappingSpec[]; targets?: Target[]; strategy?: PlanContext['targetStrategy'] } = {},
): PlanContext {
  return {
    keyColumns,
    keyFamilies: keyFamiliesOf(table, keyColumns),
    keyCharLengths: keyCharLengthsOf(table, keyColumns),
    mappings: opts.mappings ?? MAPPINGS,
    table,
    targets: opts.targets ?? SINGLE,
    targetStrategy: opts.strategy ?? 'single',
  };
}

const BY_ID = context(['id']);
const BY_ID_ROUTED = context(['id'], { targets: ROUTED, strategy: 'conditional' });
const BY_ID_ROUTED_NO_DEFAULT = context(['id'], { targets: ROUTED_NO_DEFAULT, strategy: 'conditional' });
const BY_ID_TITLE = context(['id'], { mappings: TITLE_MAPPING });
const BY_TS = context(['created_at']);
const BY_TS_OTHER = context(['created_at'], { targets: SINGLE_OTHER });
const BY_LOCAL_TS = context(['seen_at']);
const BY_CODE = context(['code']);
const BY_SLUG = context(['slug']);
const BY_TS_ID = context(['created_at', 'id']);

/** A source row: every mapped column present (a missing one would quarantine), key texts as the readers give them. */
function row(key: string[], values: Record<string, unknown> = {}): SourceRow {
  return { key, values: { id: 1, created_at: null, seen_at: null, code: null, slug: null, name: 'Ada', region: 'eu', amount: 12.5, ...values } };
}

// Keys in their encoded form, written out so the expected encoding is visible.
const TS = '2022-02-16T09:12:58.90327Z';
const TS_KEY = '2022-02-16_t09_03a12_03a58.90327_z';
/** Another row of the same millisecond: 0.1 gave it the same key as TS. */
const TS2 = '2022-02-16T09:12:58.9031Z';
const TS2_KEY = '2022-02-16_t09_03a12_03a58.9031_z';
/** What 0.1 wrote for both: PostgreSQL's text of the value truncated to milliseconds, `2022-02-16 09:12:58.903+00`. */
const TS_LEGACY = '2022-02-16_02009_03a12_03a58.903_02b00';
const LOCAL_TS = '2022-02-16T09:12:58.90327';
const LOCAL_TS_LEGACY = '2022-02-16_02009_03a12_03a58.903'; // `2022-02-16 09:12:58.903`
const CODE_LEGACY = 'ab_020_020_020'; // char(5) 'ab' with its padding: `ab   `

/** Ledger entry; `hash: CURRENT` stands for the hash the row has now (resolved by the runner). */
const CURRENT = '<current hash>';
const entry = (sourceKey: string, targetId: string | null, listItemId: string | null, contentHash = 'stale-hash'): LedgerEntry => ({
  sourceKey,
  targetId,
  listItemId,
  contentHash,
});

interface WriteView {
  kind: 'create' | 'update' | 'move';
  key: string;
  target: string;
  listItemId?: string;
  from?: { targetId: string; listItemId: string };
  rekeyFrom?: string;
}

interface PlanView {
  writes: WriteView[];
  unchanged: string[];
  quarantined: Array<{ sourceKey: string; reason: unknown }>;
  renames: Array<{ from: string; to: string }>;
}

function view(plan: RowPlan): PlanView {
  return {
    writes: plan.writes.map((w) => ({
      kind: w.kind,
      key: w.row.sourceKey,
      target: w.row.targetId,
      ...(w.kind === 'update' ? { listItemId: w.listItemId } : {}),
      ...(w.kind === 'move' ? { from: w.from } : {}),
      ...(w.kind !== 'create' && w.rekeyFrom !== undefined ? { rekeyFrom: w.rekeyFrom } : {}),
    })),
    unchanged: plan.unchanged.map((u) => u.sourceKey),
    quarantined: plan.quarantined.map((q) => ({ sourceKey: q.sourceKey, reason: q.reason })),
    renames: plan.renames,
  };
}

const none: PlanView = { writes: [], unchanged: [], quarantined: [], renames: [] };

interface PlanCase {
  name: string;
  ctx: PlanContext;
  rows: SourceRow[];
  ledger?: LedgerEntry[];
  expected: Partial<PlanView>;
}

const isQuarantined = (r: PreparedRow | Quarantined): r is Quarantined => 'reason' in r;

const cases: PlanCase[] = [
  // create / update / unchanged
  { name: 'create: no ledger entry', ctx: BY_ID, rows: [row(['1'])], expected: { writes: [{ kind: 'create', key: '1', target: 't-main' }] } },
  {
    name: 'create: the entry exists but has no list item (a create that never landed)',
    ctx: BY_ID,
    rows: [row(['1'])],
    ledger: [entry('1', 't-main', null)],
    expected: { writes: [{ kind: 'create', key: '1', target: 't-main' }] },
  },
  {
    name: 'update: the hash differs',
    ctx: BY_ID,
    rows: [row(['1'], { name: 'Ada Lovelace' })],
    ledger: [entry('1', 't-main', '11', 'hash-of-the-old-content')],
    expected: { writes: [{ kind: 'update', key: '1', target: 't-main', listItemId: '11' }] },
  },
  { name: 'unchanged: the hash is equal', ctx: BY_ID, rows: [row(['1'])], ledger: [entry('1', 't-main', '11', CURRENT)], expected: { unchanged: ['1'] } },
  {
    name: 'a mix in one batch keeps the input order per outcome',
    ctx: BY_ID,
    rows: [row(['3'], { id: 3 }), row(['1'], { id: 1 }), row(['2'], { id: 2 })],
    ledger: [entry('1', 't-main', '11', CURRENT), entry('2', 't-main', '12')],
    expected: {
      writes: [
        { kind: 'create', key: '3', target: 't-main' },
        { kind: 'update', key: '2', target: 't-main', listItemId: '12' },
      ],
      unchanged: ['1'],
    },
  },

  // routing and moves
  {
    name: 'move: the row is routed to another target than its item is in (even with an equal hash)',
    ctx: BY_ID_ROUTED,
    rows: [row(['1'], { region: 'uk' })],
    ledger: [entry('1', 't-main', '11', CURRENT)],
    expected: { writes: [{ kind: 'move', key: '1', target: 't-eu', from: { targetId: 't-main', listItemId: '11' } }] },
  },
  {
    name: 'conditional routing: rules by priority, the default otherwise',
    ctx: BY_ID_ROUTED,
    rows: [row(['1'], { region: 'eu' }), row(['2'], { region: 'us', amount: 1000 }), row(['3'], { region: 'us', amount: 999.5 }), row(['4'], { region: null })],
    expected: {
      writes: [
        { kind: 'create', key: '1', target: 't-eu' },
        { kind: 'create', key: '2', target: 't-big-us' },
        { kind: 'create', key: '3', target: 't-main' },
        { kind: 'create', key: '4', target: 't-main' },
      ],
    },
  },
  {
    name: 'conditional routing: the same target as the ledger is an update, not a move',
    ctx: BY_ID_ROUTED,
    rows: [row(['1'], { region: 'eu', name: 'Grace' })],
    ledger: [entry('1', 't-eu', '31')],
    expected: { writes: [{ kind: 'update', key: '1', target: 't-eu', listItemId: '31' }] },
  },
  {
    name: "single target: the definition's default list, whatever the rules say",
    ctx: context(['id'], { targets: ROUTED, strategy: 'single' }),
    rows: [row(['1'], { region: 'eu' })],
    expected: { writes: [{ kind: 'create', key: '1', target: 't-main' }] },
  },

  // quarantine
  {
    name: 'quarantine: a double NaN for a number column',
    ctx: BY_ID,
    rows: [row(['1'], { amount: Number.NaN }), row(['2'], { id: 2 })],
    expected: {
      writes: [{ kind: 'create', key: '2', target: 't-main' }],
      quarantined: [{ sourceKey: '1', reason: expect.stringMatching(/^column amount: .*NaN/) }],
    },
  },
  {
    name: 'quarantine: Infinity for a number column',
    ctx: BY_ID,
    rows: [row(['1'], { amount: Number.POSITIVE_INFINITY })],
    expected: { quarantined: [{ sourceKey: '1', reason: expect.stringMatching(/^column amount: .*Infinity/) }] },
  },
  {
    name: 'quarantine: a key longer than 255 encoded characters (128 capitals encode to 256)',
    ctx: BY_SLUG,
    rows: [row(['A'.repeat(128)]), row(['A'.repeat(127)])],
    expected: {
      writes: [{ kind: 'create', key: '_a'.repeat(127), target: 't-main' }],
      quarantined: [
        { sourceKey: `unencodable:${'A'.repeat(128)}`, reason: 'the encoded source key is 256 characters long; a SharePoint text column holds 255' },
      ],
    },
  },
  {
    name: 'quarantine: no routing rule matches and there is no default target',
    ctx: BY_ID_ROUTED_NO_DEFAULT,
    rows: [row(['1'], { region: 'us', amount: 5 }), row(['2'], { id: 2, region: 'eu' })],
    expected: {
      writes: [{ kind: 'create', key: '2', target: 't-eu' }],
      quarantined: [{ sourceKey: '1', reason: 'no routing rule matches the row and the definition has no default target' }],
    },
  },
  {
    name: 'quarantine: a row whose item exists is neither updated nor moved',
    ctx: BY_ID,
    rows: [row(['1'], { amount: Number.NaN })],
    ledger: [entry('1', 't-main', '11')],
    expected: { quarantined: [{ sourceKey: '1', reason: expect.stringContaining('NaN') }] },
  },

  // duplicates
  {
    name: 'a duplicate key in one batch: the second occurrence is ignored',
    ctx: BY_ID,
    rows: [row(['1'], { name: 'first' }), row(['2'], { id: 2 }), row(['1'], { name: 'second' })],
    expected: {
      writes: [
        { kind: 'create', key: '1', target: 't-main' },
        { kind: 'create', key: '2', target: 't-main' },
      ],
    },
  },
  {
    name: 'a duplicate key in one batch: the second occurrence is ignored when the first is unchanged',
    ctx: BY_ID,
    rows: [row(['1']), row(['1'], { name: 'second' })],
    ledger: [entry('1', 't-main', '11', CURRENT)],
    expected: { unchanged: ['1'] },
  },

  // legacy (0.1) keys
  {
    name: 'legacy: the 0.1 key is in the ledger, same target -> update with rekeyFrom (even with an equal hash)',
    ctx: BY_TS,
    rows: [row([TS])],
    ledger: [entry(TS_LEGACY, 't-main', '41', CURRENT)],
    expected: { writes: [{ kind: 'update', key: TS_KEY, target: 't-main', listItemId: '41', rekeyFrom: TS_LEGACY }] },
  },
  {
    name: 'legacy: another target -> move with rekeyFrom',
    ctx: BY_TS_OTHER,
    rows: [row([TS])],
    ledger: [entry(TS_LEGACY, 't-main', '41')],
    expected: { writes: [{ kind: 'move', key: TS_KEY, target: 't-other', from: { targetId: 't-main', listItemId: '41' }, rekeyFrom: TS_LEGACY }] },
  },
  {
    name: 'legacy: the legacy entry has no item -> create, and the entry is renamed',
    ctx: BY_TS,
    rows: [row([TS])],
    ledger: [entry(TS_LEGACY, 't-main', null)],
    expected: { writes: [{ kind: 'create', key: TS_KEY, target: 't-main' }], renames: [{ from: TS_LEGACY, to: TS_KEY }] },
  },
  {
    name: 'legacy: the legacy entry has no target -> create, and the entry is renamed',
    ctx: BY_TS,
    rows: [row([TS])],
    ledger: [entry(TS_LEGACY, null, '41')],
    expected: { writes: [{ kind: 'create', key: TS_KEY, target: 't-main' }], renames: [{ from: TS_LEGACY, to: TS_KEY }] },
  },
  {
    name: 'legacy: two rows sharing one legacy key -> the first takes it over, the second is created',
    ctx: BY_TS,
    rows: [row([TS2]), row([TS])],
    ledger: [entry(TS_LEGACY, 't-main', '41')],
    expected: {
      writes: [
        { kind: 'update', key: TS2_KEY, target: 't-main', listItemId: '41', rekeyFrom: TS_LEGACY },
        { kind: 'create', key: TS_KEY, target: 't-main' },
      ],
    },
  },
  {
    name: 'legacy: a quarantined row with a legacy entry -> only the entry is renamed',
    ctx: BY_TS,
    rows: [row([TS], { amount: Number.NaN })],
    ledger: [entry(TS_LEGACY, 't-main', '41')],
    expected: { quarantined: [{ sourceKey: TS_KEY, reason: expect.stringContaining('NaN') }], renames: [{ from: TS_LEGACY, to: TS_KEY }] },
  },
  {
    name: 'legacy: a quarantined row takes the legacy entry over, so a second row sharing it is created',
    ctx: BY_TS,
    rows: [row([TS], { amount: Number.NaN }), row([TS2])],
    ledger: [entry(TS_LEGACY, 't-main', '41')],
    expected: {
      writes: [{ kind: 'create', key: TS2_KEY, target: 't-main' }],
      quarantined: [{ sourceKey: TS_KEY, reason: expect.stringContaining('NaN') }],
      renames: [{ from: TS_LEGACY, to: TS_KEY }],
    },
  },
  {
    name: 'legacy: ignored when the lossless key is in the ledger already',
    ctx: BY_TS,
    rows: [row([TS])],
    ledger: [entry(TS_KEY, 't-main', '42', CURRENT), entry(TS_LEGACY, 't-main', '41')],
    expected: { unchanged: [TS_KEY] },
  },
  {
    name: 'legacy: a timestamp without time zone (no +00)',
    ctx: BY_LOCAL_TS,
    rows: [row([LOCAL_TS])],
    ledger: [entry(LOCAL_TS_LEGACY, 't-main', '43')],
    expected: { writes: [{ kind: 'update', key: '2022-02-16_t09_03a12_03a58.90327', target: 't-main', listItemId: '43', rekeyFrom: LOCAL_TS_LEGACY }] },
  },
  {
    name: 'legacy: char(n) padded with blanks',
    ctx: BY_CODE,
    rows: [row(['ab'])],
    ledger: [entry(CODE_LEGACY, 't-main', '44', CURRENT)],
    expected: { writes: [{ kind: 'update', key: 'ab', target: 't-main', listItemId: '44', rekeyFrom: CODE_LEGACY }] },
  },
  {
    name: 'legacy: a composite key with one legacy component',
    ctx: BY_TS_ID,
    rows: [row([TS, '7'], { id: 7 })],
    ledger: [entry(`${TS_LEGACY}~7`, 't-main', '45')],
    expected: { writes: [{ kind: 'update', key: `${TS_KEY}~7`, target: 't-main', listItemId: '45', rekeyFrom: `${TS_LEGACY}~7` }] },
  },
];

describe('planRows', () => {
  it.each(cases)('$name', ({ ctx, rows, ledger = [], expected }) => {
    // Resolve CURRENT to the hash each row has now (prepareRow's own hash is checked separately below).
    const current = new Map<string, string>();
    for (const r of rows) {
      const p = prepareRow(r, ctx);
      if (!isQuarantined(p) && !current.has(p.sourceKey)) current.set(p.sourceKey, p.hash);
    }
    const losslessOf = (legacyOrLossless: string) => {
      const r = rows.find((x) => {
        const p = prepareRow(x, ctx);
        return p.sourceKey === legacyOrLossless || legacyKeyOf(x.key, ctx) === legacyOrLossless;
      });
      return r ? prepareRow(r, ctx).sourceKey : legacyOrLossless;
    };
    const entries = ledger.map((e) => (e.contentHash === CURRENT ? { ...e, contentHash: current.get(losslessOf(e.sourceKey)) ?? 'missing' } : e));
    const plan = planRows(rows, new Map(entries.map((e) => [e.sourceKey, e])), ctx);
    expect(view(plan)).toEqual({ ...none, ...expected });
    // Every write carries the prepared row: its key column and its hash.
    for (const w of plan.writes) {
      expect(w.row.fields[KEY_COLUMN_NAME]).toBe(w.row.sourceKey);
      expect(w.row.hash).toBe(contentHash(w.row.fields));
    }
  });

  it('writes the first occurrence of a duplicate key, not the second', () => {
    const plan = planRows([row(['1'], { name: 'first' }), row(['1'], { name: 'second' })], new Map(), BY_ID);
    expect(plan.writes).toHaveLength(1);
    expect(plan.writes[0]!.row.fields.name).toBe('first');
  });

  it('quarantines with the column in detail', () => {
    const plan = planRows([row(['1'], { amount: Number.NaN })], new Map(), BY_ID);
    expect(plan.quarantined).toEqual([{ sourceKey: '1', reason: expect.stringContaining('NaN') as string, detail: { column: 'amount' } }]);
  });
});

describe('prepareRow: the fields written', () => {
  const fieldCases: Array<{ name: string; ctx: PlanContext; row: SourceRow; fields: Record<string, unknown> }> = [
    {
      name: 'Title from the key text when no mapping writes Title; SyncBridgeKey = the encoded key',
      ctx: BY_ID,
      row: row(['1']),
      fields: { name: 'Ada', region: 'eu', amount: 12.5, SyncBridgeKey: '1', Title: '1' },
    },
    {
      name: 'a mapping to Title: its value, not the key',
      ctx: BY_ID_TITLE,
      row: row(['1']),
      fields: { name: 'Ada', region: 'eu', amount: 12.5, Title: 'Ada', SyncBridgeKey: '1' },
    },
    {
      name: 'a mapping to Title with a NULL value: Title is cleared, not filled with the key',
      ctx: BY_ID_TITLE,
      row: row(['1'], { name: null }),
      fields: { name: null, region: 'eu', amount: 12.5, Title: null, SyncBridgeKey: '1' },
    },
    {
      name: 'a composite key: canonical texts joined with " / " (ISO 8601 with every fractional digit)',
      ctx: BY_TS_ID,
      row: row(['2022-01-23T13:03:52.90327Z', '26990']),
      fields: {
        name: 'Ada',
        region: 'eu',
        amount: 12.5,
        SyncBridgeKey: '2022-01-23_t13_03a03_03a52.90327_z~26990',
        Title: '2022-01-23T13:03:52.90327Z / 26990',
      },
    },
    {
      name: 'a text key: Title keeps the case, SyncBridgeKey escapes it',
      ctx: BY_SLUG,
      row: row(['Ab C']),
      fields: { name: 'Ada', region: 'eu', amount: 12.5, SyncBridgeKey: '_ab_020_c', Title: 'Ab C' },
    },
    {
      name: 'a char(n) key: the canonical text without blanks',
      ctx: BY_CODE,
      row: row(['ab']),
      fields: { name: 'Ada', region: 'eu', amount: 12.5, SyncBridgeKey: 'ab', Title: 'ab' },
    },
    {
      // 200 + "~" + 54 = 255 encoded characters (the limit), but 200 + " / " + 54 = 257 characters of Title.
      name: 'Title is cut at 255 characters',
      ctx: context(['slug', 'name']),
      row: row(['x'.repeat(200), 'y'.repeat(54)], { name: 'y'.repeat(54) }),
      fields: {
        name: 'y'.repeat(54),
        region: 'eu',
        amount: 12.5,
        SyncBridgeKey: `${'x'.repeat(200)}~${'y'.repeat(54)}`,
        Title: `${'x'.repeat(200)} / ${'y'.repeat(52)}`,
      },
    },
    {
      name: 'SyncBridgeKey cannot be overwritten by a mapping of the same name',
      ctx: context(['id'], { mappings: [...MAPPINGS, mapping('slug', 'text', { targetColumn: KEY_COLUMN_NAME })] }),
      row: row(['1'], { slug: 'not-the-key' }),
      fields: { name: 'Ada', region: 'eu', amount: 12.5, SyncBridgeKey: '1', Title: '1' },
    },
  ];

  it.each(fieldCases)('$name', ({ ctx, row: r, fields }) => {
    const prepared = prepareRow(r, ctx);
    expect(isQuarantined(prepared)).toBe(false);
    const p = prepared as PreparedRow;
    expect(p.fields).toEqual(fields);
    expect(p.sourceKey).toBe(fields[KEY_COLUMN_NAME]);
    expect(p.sourceKey).toBe(encodeSourceKey(r.key, ctx.keyFamilies));
    expect(p.hash).toBe(contentHash(fields));
  });

  it('the hash changes with the content and with the Title', () => {
    const a = prepareRow(row(['1']), BY_ID) as PreparedRow;
    const b = prepareRow(row(['1'], { name: 'Grace' }), BY_ID) as PreparedRow;
    const c = prepareRow(row(['1']), BY_ID_TITLE) as PreparedRow;
    expect(new Set([a.hash, b.hash, c.hash]).size).toBe(3);
    // '' and NULL are the same list value (TYPE-MAPPING "Empty text and NULL").
    expect((prepareRow(row(['1'], { region: '' }), BY_ID) as PreparedRow).hash).toBe((prepareRow(row(['1'], { region: null }), BY_ID) as PreparedRow).hash);
  });
});

describe('legacyKeyOf / ledgerKeysFor', () => {
  const legacyCases: Array<{ name: string; ctx: PlanContext; key: string[]; legacy: string | null }> = [
    { name: 'timestamptz: milliseconds, PostgreSQL text, +00', ctx: BY_TS, key: [TS], legacy: encodeSourceKey(['2022-02-16 09:12:58.903+00']) },
    { name: 'timestamptz with whole seconds', ctx: BY_TS, key: ['2022-02-16T09:12:58Z'], legacy: encodeSourceKey(['2022-02-16 09:12:58+00']) },
    {
      name: 'timestamptz: trailing zeros of the milliseconds trimmed',
      ctx: BY_TS,
      key: ['2022-02-16T09:12:58.5Z'],
      legacy: encodeSourceKey(['2022-02-16 09:12:58.5+00']),
    },
    { name: 'timestamp without time zone', ctx: BY_LOCAL_TS, key: [LOCAL_TS], legacy: encodeSourceKey(['2022-02-16 09:12:58.903']) },
    { name: 'char(5) shorter than 5: padded', ctx: BY_CODE, key: ['ab'], legacy: encodeSourceKey(['ab   ']) },
    { name: 'char(5) of full length: none', ctx: BY_CODE, key: ['abcde'], legacy: null },
    { name: 'integer: none', ctx: BY_ID, key: ['1'], legacy: null },
    { name: 'text (not char(n)): none', ctx: BY_SLUG, key: ['ab'], legacy: null },
    { name: "'infinity' keeps PostgreSQL's text: none", ctx: BY_TS, key: ['infinity'], legacy: null },
    { name: 'composite: only the differing component changes', ctx: BY_TS_ID, key: [TS, '7'], legacy: `${TS_LEGACY}~7` },
  ];

  it('the legacy form of the example in TYPE-MAPPING is spelled as 0.1 wrote it', () => {
    expect(encodeSourceKey([TS], ['timestamptz'])).toBe(TS_KEY);
    expect(encodeSourceKey(['2022-02-16 09:12:58.903+00'])).toBe(TS_LEGACY);
    expect(encodeSourceKey(['2022-02-16 09:12:58.903'])).toBe(LOCAL_TS_LEGACY);
    expect(encodeSourceKey(['ab   '])).toBe(CODE_LEGACY);
  });

  it.each(legacyCases)('$name', ({ ctx, key, legacy }) => {
    expect(legacyKeyOf(key, ctx)).toBe(legacy);
  });

  it('ledgerKeysFor: each lossless key and its legacy form, once, skipping unencodable keys', () => {
    expect(ledgerKeysFor([row([TS]), row([TS2]), row([TS])], BY_TS)).toEqual([TS_KEY, TS_LEGACY, TS2_KEY]);
    expect(ledgerKeysFor([row(['1']), row(['2'])], BY_ID)).toEqual(['1', '2']);
    expect(ledgerKeysFor([row(['A'.repeat(128)]), row(['ab'])], BY_CODE)).toEqual(['ab', CODE_LEGACY]);
  });

  it('keyFamiliesOf / keyCharLengthsOf read the introspected columns', () => {
    expect(BY_TS_ID.keyFamilies).toEqual(['timestamptz', 'integer']);
    expect(BY_CODE.keyCharLengths).toEqual([5]);
    expect(BY_SLUG.keyCharLengths).toEqual([null]);
    expect(keyFamiliesOf(table, ['no_such_column'])).toEqual(['other']);
  });
});

describe('edge cases found by review', () => {
  it('never cuts Title inside a surrogate pair', async () => {
    const { titleOf } = await import('../src/push/plan.ts');
    const title = titleOf(['a'.repeat(254) + '😀']);
    expect(title).toHaveLength(254);
    expect(titleOf(['a'.repeat(253) + '😀'])).toHaveLength(255);
  });
});
