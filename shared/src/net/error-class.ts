/**
 * What a failed connection to a source or to Graph is reported as. API responses and the
 * stored `lastHealthError` / `lastTestError` carry only a class and a message built from it
 * (plus what the caller configured: host, user, database), never the server's own text: a
 * server's banner or error message is the answer a probe is after, and a hostile server
 * chooses it. The driver's full detail goes to the logs, scrubbed.
 */
export const CONNECTION_ERROR_CLASSES = [
  /** Nothing accepted the connection: refused, no route, the name does not resolve. */
  'unreachable',
  /** No answer within the time limit. */
  'timeout',
  /** The TLS handshake failed (untrusted certificate, no TLS on the server). */
  'tls',
  /** Something accepted the connection but did not speak the protocol: it closed or reset it, or answered garbage. */
  'protocol',
  /** The credentials were refused. */
  'authentication_failed',
  /** The source database does not exist. */
  'database_not_found',
  /** The credentials work but lack a permission. */
  'permission_denied',
  /** The site, list or item asked for does not exist. */
  'not_found',
  /** The service asked to slow down (429, 503 with Retry-After) past the time limit. */
  'throttled',
  /** The server answered with an error of its own. */
  'server_error',
  /** The service refused the request as invalid. */
  'invalid_request',
] as const;
export type ConnectionErrorClass = (typeof CONNECTION_ERROR_CLASSES)[number];

export interface ClassifiedError {
  errorClass: ConnectionErrorClass;
  /** Safe to show to any API user and to store: built by us, never the server's text. */
  message: string;
}

/** The first Node/driver error code in an error, its causes and an AggregateError's errors. */
export function errorCodeOf(error: unknown, depth = 0): string | undefined {
  if (!error || typeof error !== 'object' || depth > 5) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code) return code;
  const nested = (error as { errors?: unknown }).errors;
  if (Array.isArray(nested)) {
    for (const e of nested) {
      const found = errorCodeOf(e, depth + 1);
      if (found) return found;
    }
  }
  return errorCodeOf((error as { cause?: unknown }).cause, depth + 1);
}

function messagesOf(error: unknown, depth = 0): string {
  if (!error || typeof error !== 'object' || depth > 5) return typeof error === 'string' ? error : '';
  const own = typeof (error as { message?: unknown }).message === 'string' ? (error as { message: string }).message : '';
  const nested = (error as { errors?: unknown }).errors;
  const inner = Array.isArray(nested) ? nested.map((e) => messagesOf(e, depth + 1)).join(' ') : '';
  return `${own} ${inner} ${messagesOf((error as { cause?: unknown }).cause, depth + 1)}`;
}

const TLS_CODE = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|EPROTO|HOSTNAME_MISMATCH|ALTNAME/;

/** Every code in the chain: `code` properties, and Node error codes quoted in messages (libraries often keep only the text). */
function codesOf(error: unknown, depth = 0, into: string[] = []): string[] {
  if (!error || typeof error !== 'object' || depth > 5) return into;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code) into.push(code);
  const message = (error as { message?: unknown }).message;
  if (typeof message === 'string') for (const m of message.matchAll(/\b(E[A-Z]{4,}[A-Z_]*|ERR_[A-Z_]+|CONNECT_TIMEOUT)\b/g)) into.push(m[1]!);
  const nested = (error as { errors?: unknown }).errors;
  if (Array.isArray(nested)) for (const e of nested) codesOf(e, depth + 1, into);
  codesOf((error as { cause?: unknown }).cause, depth + 1, into);
  return into;
}

/**
 * Classifies a transport failure (no answer at the protocol level) from Node's error codes;
 * undefined when the error is not one. `target` names what was called (host:port or a URL
 * origin the caller configured).
 */
export function classifyNetworkError(error: unknown, target: string): ClassifiedError | undefined {
  const codes = codesOf(error);
  const text = messagesOf(error);
  const has = (re: RegExp) => codes.some((c) => re.test(c));
  if (/before secure TLS connection was established/i.test(text)) {
    // Closed during the TLS handshake: something listens there, but not a TLS server that answers.
    return { errorClass: 'protocol', message: `${target} accepted the connection and closed it without answering` };
  }
  if (has(/^ECONNREFUSED$/)) return { errorClass: 'unreachable', message: `${target} refused the connection` };
  if (has(/^(ENOTFOUND|EAI_AGAIN|EAI_NONAME|EAI_FAIL)$/)) return { errorClass: 'unreachable', message: `the host name of ${target} does not resolve` };
  if (has(/^(EHOSTUNREACH|ENETUNREACH|EHOSTDOWN|ENETDOWN|EADDRNOTAVAIL)$/)) return { errorClass: 'unreachable', message: `there is no route to ${target}` };
  if (has(/^(ETIMEDOUT|CONNECT_TIMEOUT|ESOCKETTIMEDOUT|UND_ERR_CONNECT_TIMEOUT|ABORT_ERR)$/) || /timed? ?out|aborted/i.test(text)) {
    return { errorClass: 'timeout', message: `${target} did not answer in time` };
  }
  if (has(TLS_CODE) || /certificate|SSL routines|wrong version number/i.test(text)) {
    return has(/CERT|SELF_SIGNED|UNABLE_TO|ALTNAME|HOSTNAME/) || /certificate/i.test(text)
      ? { errorClass: 'tls', message: `the TLS certificate of ${target} is not trusted or does not match its name` }
      : { errorClass: 'tls', message: `the TLS handshake with ${target} failed` };
  }
  if (has(/^(ECONNRESET|EPIPE|ECONNABORTED|UND_ERR_SOCKET)$/) || /socket hang up/i.test(text)) {
    return { errorClass: 'protocol', message: `${target} accepted the connection and closed it without answering` };
  }
  return undefined;
}
