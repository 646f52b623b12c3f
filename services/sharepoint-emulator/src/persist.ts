import { existsSync, readFileSync, renameSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ensureUserInformationList, type ItemRecord, type ListRecord, type SiteRecord, type Store, type TenantRecord, type TlsMaterial } from './state.ts';

const FORMAT_VERSION = 1;

type PersistedList = Omit<ListRecord, 'items'> & { items: ItemRecord[] };
type PersistedSite = Omit<SiteRecord, 'lists'> & { lists: PersistedList[] };
type PersistedTenant = Omit<TenantRecord, 'sites'> & { sites: PersistedSite[] };

interface PersistedState {
  version: number;
  savedAt: string;
  tokenSigningKey: string;
  tls?: TlsMaterial;
  tenants: PersistedTenant[];
}

export function serializeStore(store: Store): string {
  const state: PersistedState = {
    version: FORMAT_VERSION,
    savedAt: new Date().toISOString(),
    tokenSigningKey: store.tokenSigningKey,
    tls: store.tls,
    tenants: [...store.tenants.values()].map((t) => ({
      ...t,
      sites: t.sites.map((s) => ({ ...s, lists: s.lists.map((l) => ({ ...l, items: [...l.items.values()] })) })),
    })),
  };
  return JSON.stringify(state);
}

/** Loads a saved state into the store; returns false when the file does not exist yet. */
export function loadStore(store: Store, file: string): boolean {
  if (!existsSync(file)) return false;
  const state = JSON.parse(readFileSync(file, 'utf8')) as PersistedState;
  if (state.version !== FORMAT_VERSION) throw new Error(`${file}: unsupported emulator state version ${String(state.version)}`);
  store.tokenSigningKey = state.tokenSigningKey;
  store.tls = state.tls;
  store.tenants.clear();
  for (const t of state.tenants) {
    const sites: SiteRecord[] = t.sites.map((s) => ({
      ...s,
      lists: s.lists.map((l) => ({ ...l, items: new Map(l.items.map((i) => [i.id, i])) })),
    }));
    // State saved before sites had a User Information List gets one (with the app principal).
    for (const site of sites) ensureUserInformationList(site);
    store.tenants.set(t.tenantId.toLowerCase(), { ...t, sites });
  }
  return true;
}

/**
 * Saves the state at most once per `debounceMs` after changes, and on `flush()` (close).
 * Writes go to a temporary file that is renamed over the target, so a crash mid-write
 * never leaves a truncated state file.
 */
export class Persister {
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;

  constructor(
    private readonly store: Store,
    private readonly file: string,
    private readonly debounceMs = 250,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  schedule(): void {
    this.dirty = true;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.save();
    }, this.debounceMs);
    this.timer.unref();
  }

  save(): void {
    this.dirty = false;
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(tmp, serializeStore(this.store));
      renameSync(tmp, this.file);
    } catch (err) {
      this.onError(err);
    }
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.dirty) this.save();
  }
}
