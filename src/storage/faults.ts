/**
 * Storage faults a client can do something about, recognised across drivers
 * (bun:sqlite, node:sqlite, postgres-js; Drizzle wraps the driver's error in `cause`).
 */
export type StorageFault =
  /** The disk (or the database's size limit) is full: nothing was stored. */
  | 'full'
  /** Another process holds a lock on the database file longer than the hub waits. */
  | 'busy';

const FULL_CODES = new Set(['SQLITE_FULL', 'ENOSPC', '53100']);
const BUSY_CODES = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_BUSY_SNAPSHOT']);

/** The fault `err` stands for, or null when it is some other error. */
export function storageFault(err: unknown): StorageFault | null {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string') {
      if (FULL_CODES.has(code)) return 'full';
      if (BUSY_CODES.has(code)) return 'busy';
    }
    // node:sqlite (Deno) reports every SQLite error as ERR_SQLITE_ERROR with SQLite's own message.
    if (typeof message === 'string') {
      if (/database or disk is full|no space left on device/i.test(message)) return 'full';
      if (/database (table )?is locked/i.test(message)) return 'busy';
    }
  }
  return null;
}

const DATABASE_FAULT = /^SQLITE_(FULL|BUSY|LOCKED|IOERR|CORRUPT|READONLY|CANTOPEN|NOTADB)/;
const DATABASE_FAULT_MESSAGE =
  /database or disk is full|database (table )?is locked|disk I\/O error|malformed|not a database|readonly database|unable to open/i;

/**
 * Whether `err` says the database itself is in trouble (full, locked, I/O error,
 * corrupt, read-only, gone), as opposed to a statement that was refused (a constraint,
 * a bug): such failures make the store not ready until a write succeeds again.
 */
export function isDatabaseFault(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && DATABASE_FAULT.test(code)) return true;
    if (typeof message === 'string' && DATABASE_FAULT_MESSAGE.test(message)) return true;
  }
  return false;
}
