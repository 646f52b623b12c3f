import { parse, type HTMLElement } from 'node-html-parser';
import type { TestStack } from './stack.ts';

/**
 * A browser-less client of the web UI over real HTTP: it keeps the session cookie, sends forms as
 * a browser does (urlencoded, with the Origin header and the page's CSRF token) and parses the
 * answers, so tests assert what a user would see. The browser tests (test/ui/browser.test.ts)
 * drive real Chromium; this one keeps server-side checks fast.
 */
export class UiClient {
  private cookies = new Map<string, string>();
  /** The CSRF token of the last page read (from its meta tag). */
  csrf = '';

  constructor(readonly stack: TestStack) {}

  get origin(): string {
    return new URL(this.stack.baseUrl).origin;
  }

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private keep(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attrs.some((a) => /max-age=0\b/i.test(a.trim()) || /expires=thu, 01 jan 1970/i.test(a.trim()));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  /** Raw request with the session cookie; redirects are not followed (tests look at them). */
  async raw(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set('cookie', this.cookieHeader());
    const res = await fetch(new URL(path, this.stack.baseUrl), { ...init, headers, redirect: 'manual' });
    this.keep(res);
    return res;
  }

  /** GET a page, following redirects; returns the final status, path and parsed document. */
  async page(path: string): Promise<UiPage> {
    let res = await this.raw(path);
    let at = path;
    for (let hops = 0; res.status >= 300 && res.status < 400 && hops < 5; hops++) {
      at = res.headers.get('location')!;
      await res.arrayBuffer();
      res = await this.raw(at);
    }
    return this.read(res, at);
  }

  private async read(res: Response, at: string): Promise<UiPage> {
    const html = await res.text();
    const doc = parse(html);
    const token = doc.querySelector('meta[name="csrf-token"]')?.getAttribute('content');
    if (token) this.csrf = token;
    return new UiPage(res.status, new URL(at, this.stack.baseUrl).pathname + new URL(at, this.stack.baseUrl).search, html, doc, res.headers);
  }

  /** POST a form as a browser does (Origin, urlencoded, CSRF token unless given), following the redirect. */
  async submit(path: string, fields: Record<string, string | string[]> = {}, opts: { csrf?: string | null; origin?: string } = {}): Promise<UiPage> {
    const body = new URLSearchParams();
    const csrf = opts.csrf === undefined ? this.csrf : opts.csrf;
    if (csrf !== null) body.set('_csrf', csrf);
    for (const [k, v] of Object.entries(fields)) for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
    const res = await this.raw(path, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: opts.origin ?? this.origin },
    });
    if (res.status >= 300 && res.status < 400) {
      await res.arrayBuffer();
      return this.page(res.headers.get('location')!);
    }
    return this.read(res, path);
  }

  async signIn(key: string = this.stack.adminKey): Promise<UiPage> {
    return this.submit('/ui/sign-in', { apiKey: key }, { csrf: null });
  }
}

export class UiPage {
  constructor(
    readonly status: number,
    readonly path: string,
    readonly html: string,
    readonly doc: HTMLElement,
    readonly headers: Headers,
  ) {}

  /** The visible text of the page's main region, whitespace collapsed. */
  get text(): string {
    return (this.doc.querySelector('main')?.textContent ?? this.doc.textContent).replace(/\s+/g, ' ').trim();
  }

  get title(): string {
    return this.doc.querySelector('h1')?.textContent.trim() ?? '';
  }

  /** The action URLs of the page's POST forms (what a user can do here). */
  get actions(): string[] {
    return this.doc.querySelectorAll('form[method="post"]').map((f) => f.getAttribute('action') ?? '');
  }

  /** Button labels, for "a viewer sees no buttons it may not press". */
  get buttons(): string[] {
    return this.doc.querySelectorAll('button').map((b) => b.textContent.replace(/\s+/g, ' ').trim());
  }

  link(text: string | RegExp): string | undefined {
    return this.doc
      .querySelectorAll('a')
      .find((a) => (typeof text === 'string' ? a.textContent.trim() === text : text.test(a.textContent.trim())))
      ?.getAttribute('href');
  }
}

/** What a browser would send for the page's POST form with this action: its fields as rendered (checked boxes, selected options). */
export function formFields(p: UiPage, action: string): Record<string, string | string[]> {
  const formEl = p.doc.querySelectorAll('form[method="post"]').find((f) => f.getAttribute('action') === action);
  if (!formEl) throw new Error(`no form posting to ${action} on ${p.path}: ${p.text.slice(0, 500)}`);
  const out: Record<string, string | string[]> = {};
  const add = (name: string, value: string) => {
    const had = out[name];
    out[name] = had === undefined ? value : [...(Array.isArray(had) ? had : [had]), value];
  };
  for (const el of formEl.querySelectorAll('input, select')) {
    const name = el.getAttribute('name');
    if (!name || name === '_csrf') continue;
    if (el.tagName === 'SELECT') {
      const options = el.querySelectorAll('option');
      const chosen = options.find((o) => o.hasAttribute('selected')) ?? options[0];
      if (chosen) add(name, chosen.getAttribute('value') ?? '');
    } else if (el.getAttribute('type') === 'checkbox') {
      if (el.hasAttribute('checked')) add(name, el.getAttribute('value') ?? 'on');
    } else add(name, el.getAttribute('value') ?? '');
  }
  return out;
}
