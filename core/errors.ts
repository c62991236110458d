// One errors module for the whole project: every error flowlog raises on purpose carries a stable
// code (FLOWLOG_*), an optional cause, and whether retrying the same operation can succeed.

export const ErrorCodes = {
  // configuration
  CONFIG_PARSE: { retryable: false, summary: 'the config file is not valid YAML' },
  CONFIG_INVALID: { retryable: false, summary: 'the config does not match its schema' },
  CONFIG_ENV: { retryable: false, summary: 'a ${VAR} in the config names an unset variable' },
  CONFIG_TOPOLOGY: { retryable: false, summary: 'inputs name a missing component or form a cycle' },
  CONFIG_READ: { retryable: false, summary: 'the config file cannot be read' },
  // spool
  SPOOL_CORRUPT: { retryable: false, summary: 'the spool database failed its integrity check' },
  SPOOL_FULL: { retryable: true, summary: 'the spool reached max_bytes or min_free_bytes' },
  SPOOL_IO: { retryable: true, summary: 'the spool database could not be read or written' },
  SPOOL_BAD_INPUT: { retryable: false, summary: 'an append was refused (empty batch, oversized record, unknown source)' },
  SPOOL_CLOSED: { retryable: false, summary: 'the spool is closed' },
  // sources
  SOURCE_IO: { retryable: true, summary: 'a source could not read its input' },
  SOURCE_PARSE: { retryable: false, summary: 'a source could not parse a record' },
  SOURCE_PROCESS: { retryable: true, summary: 'a child process used by a source failed' },
  // transforms
  TRANSFORM_LOAD: { retryable: false, summary: 'a WASM module could not be loaded or failed its checks' },
  TRANSFORM_TRAP: { retryable: true, summary: 'a WASM module trapped on a batch' },
  TRANSFORM_TIMEOUT: { retryable: true, summary: 'a WASM module exceeded its time budget' },
  TRANSFORM_ABI: { retryable: false, summary: 'a WASM module broke the batch ABI' },
  // sinks
  SINK_UNAVAILABLE: { retryable: true, summary: 'the sink endpoint is unreachable' },
  SINK_REJECTED: { retryable: false, summary: 'the sink rejected records for good' },
  SINK_TOO_LARGE: { retryable: false, summary: 'a record is larger than the sink accepts' },
  // archive
  ARCHIVE_IO: { retryable: true, summary: 'the archive could not be written or read' },
  ARCHIVE_QUERY: { retryable: false, summary: 'an archive query is not valid' },
  // generic
  CHANNEL_CLOSED: { retryable: false, summary: 'a send on a closed channel' },
  ABORTED: { retryable: false, summary: 'the operation was aborted by shutdown' },
  INTERNAL: { retryable: false, summary: 'a bug in flowlog' },
} as const;

export type ErrorCodeName = keyof typeof ErrorCodes;
export type ErrorCode = `FLOWLOG_${ErrorCodeName}`;

export interface FlowlogErrorOptions {
  cause?: unknown;
  /** Overrides the code's default retryability. */
  retryable?: boolean;
  /** Structured context (file, line, key path, component). Never put secrets here. */
  details?: Record<string, unknown>;
}

export class FlowlogError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCodeName, message: string, opts: FlowlogErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'FlowlogError';
    this.code = `FLOWLOG_${code}`;
    this.retryable = opts.retryable ?? ErrorCodes[code].retryable;
    this.details = opts.details ?? {};
  }
}

export function isFlowlogError(e: unknown, code?: ErrorCodeName): e is FlowlogError {
  return e instanceof FlowlogError && (code === undefined || e.code === `FLOWLOG_${code}`);
}

/** Whether retrying can help: FlowlogErrors say so; unknown errors are treated as retryable I/O. */
export function isRetryable(e: unknown): boolean {
  if (e instanceof FlowlogError) return e.retryable;
  return true;
}

/** A one-line description of any thrown value, including the cause chain. */
export function describeError(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  for (let depth = 0; cur !== undefined && cur !== null && depth < 5; depth++) {
    if (cur instanceof Error) {
      const code = (cur as { code?: unknown }).code;
      parts.push(typeof code === 'string' && !cur.message.includes(code) ? `${code}: ${cur.message}` : cur.message);
      cur = cur.cause;
    } else {
      parts.push(String(cur));
      break;
    }
  }
  return parts.join(': caused by: ');
}
