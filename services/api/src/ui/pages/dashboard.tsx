import { qs } from '../api.ts';
import type { Ui } from '../index.tsx';
import { page } from '../index.tsx';
import { can, countsText, Empty, Status, Table, When } from '../kit.tsx';
import type { Definition, DriftReport, Page, RunView, Summary } from '../types.ts';

/** How many definitions the dashboard shows per page. */
const PAGE_SIZE = 50;

export function registerDashboard(ui: Ui): void {
  ui.get('/', async (c) => {
    const api = c.get('api');
    const cursor = c.req.query('cursor');
    const defs = await api.need<Page<Definition>>(`/v1/sync-definitions${qs({ limit: PAGE_SIZE, cursor })}`);
    // One summary, one conflict page and one drift report per definition, all at once.
    const rows = await Promise.all(
      defs.items.map(async (d) => {
        const [summary, conflicts, drift] = await Promise.all([
          api.get<Summary>(`/v1/sync-definitions/${d.id}/summary`),
          api.get<Page<unknown>>(`/v1/sync-definitions/${d.id}/conflicts?status=open&limit=100`),
          api.get<Page<DriftReport>>(`/v1/sync-definitions/${d.id}/drift-reports?limit=1`),
        ]);
        return {
          d,
          summary: summary.ok ? summary.body : null,
          openConflicts: conflicts.ok ? `${conflicts.body.items.length}${conflicts.body.nextCursor ? '+' : ''}` : '?',
          drift: drift.ok ? (drift.body.items[0] ?? null) : null,
        };
      }),
    );
    const viewer = c.get('viewer');
    return page(
      c,
      { title: 'Dashboard', section: 'dashboard' },
      <>
        {can(viewer, 'operator') ? (
          <p class="actions">
            <a class="button" href="/ui/definitions/new">
              New sync definition
            </a>
          </p>
        ) : null}
        {rows.length === 0 ? (
          <Empty>No sync definitions yet.{can(viewer, 'operator') ? ' Start with "New sync definition".' : ''}</Empty>
        ) : (
          <Table
            caption="Sync definitions"
            head={['Definition', 'Direction', 'Last run', 'Counts', 'Next scheduled run', 'Open conflicts', 'Drift', 'Quarantine', 'Active runs']}
          >
            {rows.map(({ d, summary, openConflicts, drift }) => (
              <tr>
                <td>
                  <a href={`/ui/definitions/${d.id}`}>{d.name}</a>
                  <div class="muted mono">
                    {d.sourceSchema}.{d.sourceTable}
                  </div>
                  {d.enabled ? null : <Status status="disabled" />}
                </td>
                <td>{directionLabel(d.direction)}</td>
                <td>
                  <LastRun run={summary?.lastRun ?? null} />
                </td>
                <td>{countsText(summary?.lastRun?.counts)}</td>
                <td>
                  <When at={summary?.nextRunAt} />
                </td>
                <td class="num">{openConflicts === '0' ? '0' : <a href={`/ui/definitions/${d.id}/conflicts`}>{openConflicts}</a>}</td>
                <td>{driftText(drift)}</td>
                <td class="num">
                  {summary?.quarantineOpen ? <a href={`/ui/definitions/${d.id}/quarantine`}>{summary.quarantineOpen}</a> : (summary?.quarantineOpen ?? '?')}
                </td>
                <td class="num">{summary?.activeRuns ?? '?'}</td>
              </tr>
            ))}
          </Table>
        )}
        {defs.nextCursor ? (
          <p>
            <a href={`/ui${qs({ cursor: defs.nextCursor })}`}>Next page</a>
          </p>
        ) : null}
      </>,
    );
  });
}

export const directionLabel = (direction: string) =>
  ({ push: 'Push (table → lists)', ingress: 'Ingress (lists → table)', both: 'Two-way' })[direction] ?? direction;

const LastRun = ({ run }: { run: RunView | null }) =>
  run ? (
    <>
      <a href={`/ui/runs/${run.id}`}>
        <Status status={run.status} />
      </a>{' '}
      <span class="muted">{run.kind}</span>
      <div>
        <When at={run.finishedAt ?? run.startedAt ?? run.createdAt} />
      </div>
    </>
  ) : (
    <Status status={null} />
  );

function driftText(report: DriftReport | null): string {
  if (!report) return 'not checked';
  const total = Object.values(report.counts).reduce((a, b) => a + (typeof b === 'number' ? b : 0), 0);
  return total === 0 ? 'clean' : `${total} differences`;
}
