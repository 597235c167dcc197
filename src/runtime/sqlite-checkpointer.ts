/**
 * WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside the
 * commit that crosses its threshold, on the connection that committed: copying the
 * WAL back into the database and two fsyncs, on the hub's event loop (a bulk delete
 * of a million expired rows stalled it for 100 ms and more). This runs them from a
 * worker thread with a connection of its own, and turns the automatic checkpoint of
 * the hub's connection off from the start: the WAL only grows during the worker's
 * delayed start (`startAfterMs`), and a sweep that begins right after the hub does
 * no longer meets SQLite's checkpoint inside its fifth commit. When the worker
 * fails or stops, the hub's connection gets its automatic checkpoint back.
 *
 * The worker runs a PASSIVE checkpoint (it never blocks the hub's writers or
 * readers) every `busyMs` while the WAL keeps growing, backing off to `idleMs`
 * when nothing was written. Checkpointing a WAL that has nothing new is a few
 * microseconds without I/O. When the worker fails, the hub's connection gets its
 * automatic checkpoint back.
 *
 * Under continuous writes (a long sweep) a PASSIVE checkpoint never catches up with
 * the writer, and SQLite only starts the WAL over once one has: the WAL grew to
 * 850 MB during a sweep of 1M rows. So past `restartFrames` the worker asks the hub
 * to keep its connection idle (the store's queue: its queries wait off the event
 * loop) and runs a RESTART checkpoint of the frames written since the PASSIVE one.
 * The hub's next write then starts the WAL over, and `journal_size_limit` shrinks
 * the file.
 */

import type { CheckpointGate, SqliteDatabase, SqliteHandle, SqliteValue } from './types.ts';

/** How the hub's connection is told about the checkpointer. */
export interface CheckpointTarget {
  /** The database file (not `:memory:`). */
  path: string;
  /** Runs SQL on the hub's own connection. */
  exec(sql: string): void;
}

export interface CheckpointerOptions {
  /** The SQLite driver the worker opens its connection with. */
  driver: 'bun:sqlite' | 'node:sqlite';
  /** Milliseconds before the worker starts (kept off a cold start's way). Default 500. */
  startAfterMs?: number;
  /** Checkpoint interval while the WAL grows. Default 100. */
  busyMs?: number;
  /** Longest interval while nothing is written. Default 1000. */
  idleMs?: number;
  /** WAL frames (pages) past which a checkpoint makes the WAL start over. Default 16384 (64 MiB of 4 KiB pages). */
  restartFrames?: number;
  /**
   * Frames not yet copied into the database below which no checkpoint runs. Default
   * 1000, SQLite's own automatic threshold (at most `restartFrames`). A checkpoint that
   * catches up makes the next write start the WAL over, and with `synchronous = NORMAL`
   * that write syncs the WAL header: an fsync on the event loop. Checkpointing a WAL of
   * a few frames made every commit of a quiet hub pay one.
   */
  minFrames?: number;
}

/** What the hub's connection uses between checkpoints when no worker runs them (SQLite's default). */
export const AUTOCHECKPOINT_PAGES = 1000;

export interface Checkpointer {
  /** How to keep the hub's connection idle while a RESTART checkpoint holds the write lock. */
  setGate(gate: CheckpointGate): void;
  /** Stops the worker (after its checkpoint in flight) and closes its connection. */
  stop(): Promise<void>;
}

/**
 * Where the worker runs. `web`: a Web Worker (Bun), which `unref()` lets the process
 * exit past. `node`: a `node:worker_threads` worker from source (Deno), because a Deno
 * Web Worker keeps the process alive and has no `unref()`; a store left open would
 * then hold the process forever.
 */
type Host = 'web' | 'node';

/** The worker's source. It has to be inline: a compiled binary cannot start a worker from a file of the bundle. */
function workerSource(driver: CheckpointerOptions['driver'], host: Host): string {
  const open =
    driver === 'bun:sqlite'
      ? `import { Database } from 'bun:sqlite';
const open = (path) => new Database(path);
const row = (db, sql) => db.query(sql).get();`
      : `${host === 'web' ? "import { DatabaseSync } from 'node:sqlite';" : "const { DatabaseSync } = require('node:sqlite');"}
const open = (path) => new DatabaseSync(path);
const row = (db, sql) => db.prepare(sql).get();`;
  const fs =
    host === 'web'
      ? "import { closeSync, openSync, readSync } from 'node:fs';"
      : "const { closeSync, openSync, readSync } = require('node:fs');";
  const port =
    host === 'web'
      ? `const send = (message) => postMessage(message);
const listen = (handler) => { self.onmessage = (event) => handler(event.data); };`
      : `const { parentPort } = require('node:worker_threads');
const send = (message) => parentPort.postMessage(message);
const listen = (handler) => parentPort.on('message', handler);`;
  return `${open}
${fs}
${port}
let db = null;
let shm = null;
const header = new Uint32Array(25);
// Frames in the WAL that no checkpoint has copied yet, from the wal-index header at the
// start of the -shm file (https://www.sqlite.org/walformat.html, native byte order):
// mxFrame at byte 16, nBackfill at byte 96. Null when it cannot be read.
function pendingFrames() {
  try {
    shm ??= openSync(settings.path + '-shm', 'r');
    if (readSync(shm, header, 0, 100, 0) < 100) return null;
    return Math.max(0, header[4] - header[24]);
  } catch {
    return null;
  }
}
let timer = null;
let delay = 0;
let lastLog = -1;
let settings = null;
const failed = (err) => send({ type: 'failed', message: String((err && err.message) || err) });
function schedule(log) {
  const growing = log > 0 && log !== lastLog;
  lastLog = log;
  delay = growing ? settings.busyMs : Math.min(settings.idleMs, Math.max(settings.busyMs, delay * 2));
  timer = setTimeout(checkpoint, delay);
}
function checkpoint() {
  timer = null;
  try {
    const pending = pendingFrames();
    if (pending !== null && pending < settings.minFrames) return schedule(pending);
    const { log } = row(db, 'PRAGMA wal_checkpoint(PASSIVE)');
    // The hub's next write starts the WAL over only once a checkpoint has caught up with
    // every frame, which a PASSIVE one never does under continuous writes: past the
    // threshold, ask the hub to keep its connection idle for a RESTART one.
    if (log >= settings.restartFrames) send({ type: 'restart' });
    else schedule(log);
  } catch (err) {
    failed(err);
  }
}
listen((message) => {
  if (message.type === 'start') {
    try {
      settings = message;
      delay = settings.busyMs;
      db = open(message.path);
      // Waiting for a lock here blocks only this thread.
      db.exec('PRAGMA busy_timeout = 1000');
      db.exec('PRAGMA wal_autocheckpoint = 0');
      send({ type: 'ready' });
      timer = setTimeout(checkpoint, settings.busyMs);
    } catch (err) {
      failed(err);
    }
  } else if (message.type === 'idle') {
    // The hub's connection waits: copy the frames written since the PASSIVE checkpoint.
    let log = 0;
    try {
      log = row(db, 'PRAGMA wal_checkpoint(RESTART)').log;
    } catch (err) {
      send({ type: 'restarted' });
      failed(err);
      return;
    }
    send({ type: 'restarted' });
    schedule(log);
  } else if (message.type === 'stop') {
    if (timer) clearTimeout(timer);
    try { db?.close(); } catch {}
    try { if (shm !== null) closeSync(shm); } catch {}
    send({ type: 'stopped' });
  }
});
`;
}

/** A Web Worker that `unref()` lets the process exit past (Bun's); otherwise a `node:worker_threads` one. */
const HOST: Host = typeof (Worker.prototype as { unref?: unknown }).unref === 'function' ? 'web' : 'node';

/** The checkpointer's side of its worker, whichever kind it is. */
interface Thread {
  post(message: object): void;
  terminate(): void;
}

interface ThreadEvents {
  message(data: { type: string; message?: string }): void;
  error(message: unknown): void;
}

let sourceUrls: Partial<Record<CheckpointerOptions['driver'], string>> = {};

function sourceUrl(driver: CheckpointerOptions['driver']): string {
  sourceUrls[driver] ??= URL.createObjectURL(
    new Blob([workerSource(driver, 'web')], { type: 'application/javascript' }),
  );
  return sourceUrls[driver];
}

/** Only for tests that count workers: forgets the cached worker sources. */
export function resetCheckpointerSources(): void {
  for (const url of Object.values(sourceUrls)) if (url) URL.revokeObjectURL(url);
  sourceUrls = {};
}

/** Starts a worker that does not keep the process alive. */
function startThread(driver: CheckpointerOptions['driver'], on: ThreadEvents): Thread {
  if (HOST === 'web') {
    const worker = new Worker(sourceUrl(driver), { type: 'module' });
    (worker as Worker & { unref(): void }).unref();
    worker.onmessage = (event) => on.message(event.data);
    worker.onerror = (event) => {
      event.preventDefault?.();
      on.error(event.message);
    };
    return { post: (message) => worker.postMessage(message), terminate: () => worker.terminate() };
  }
  // Loaded only here, so that no runtime pays for it at start.
  const threads = process.getBuiltinModule('node:worker_threads') as typeof import('node:worker_threads');
  const worker = new threads.Worker(workerSource(driver, 'node'), { eval: true });
  worker.unref();
  worker.on('message', (data) => on.message(data));
  worker.on('error', (err: Error) => on.error(err.message));
  return { post: (message) => worker.postMessage(message), terminate: () => void worker.terminate() };
}

/** How long `stop()` waits for the worker's checkpoint in flight (its busy timeout is 1 s) before ending it. */
const STOP_TIMEOUT_MS = 5000;

/**
 * Starts checkpointing `target` from a worker thread after `startAfterMs`. The hub's
 * connection has no automatic checkpoint from now on, and gets it back when the worker
 * fails or the checkpointer stops.
 */
export function startCheckpointer(target: CheckpointTarget, options: CheckpointerOptions): Checkpointer {
  const restartFrames = options.restartFrames ?? 16384;
  const settings = {
    busyMs: options.busyMs ?? 100,
    idleMs: options.idleMs ?? 1000,
    restartFrames,
    minFrames: Math.min(options.minFrames ?? AUTOCHECKPOINT_PAGES, restartFrames),
  };
  let gate: CheckpointGate = (run) => run();
  let worker: Thread | null = null;
  let stopped = false;
  let done: (() => void) | null = null;
  /** Ends the hub connection's idle spell of a RESTART checkpoint. */
  let restarted: (() => void) | null = null;
  const restoreAutocheckpoint = () => {
    try {
      target.exec(`PRAGMA wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
    } catch {
      // The hub's connection is already closed.
    }
  };
  const finish = () => {
    worker?.terminate();
    worker = null;
    restarted?.();
    restarted = null;
    done?.();
    done = null;
  };
  const fail = (message: unknown) => {
    restoreAutocheckpoint();
    console.error(
      `relaykit: the WAL checkpointer of ${target.path} failed; SQLite checkpoints on the hub's connection again:`,
      message,
    );
    finish();
  };

  const spawn = () => {
    timer = null;
    if (stopped) return;
    const current: Thread = startThread(options.driver, {
      message({ type, message }) {
        if (type === 'ready') {
          if (!stopped) target.exec('PRAGMA wal_autocheckpoint = 0');
        } else if (type === 'restart') {
          void gate(
            () =>
              new Promise<void>((resolve) => {
                if (worker !== current) return resolve();
                restarted = resolve;
                current.post({ type: 'idle' });
              }),
          );
        } else if (type === 'restarted') {
          restarted?.();
          restarted = null;
        } else if (type === 'failed') fail(message);
        else if (type === 'stopped') finish();
      },
      error: fail,
    });
    worker = current;
    current.post({ type: 'start', path: target.path, ...settings });
  };

  // Off before the worker is up: the first automatic checkpoint would otherwise land on the
  // event loop when writes start within `startAfterMs` (a sweep scheduled at start).
  target.exec('PRAGMA wal_autocheckpoint = 0');
  let timer: ReturnType<typeof setTimeout> | null = setTimeout(spawn, options.startAfterMs ?? 500);
  unrefTimer(timer);

  return {
    setGate(next) {
      gate = next;
    },
    stop() {
      if (stopped) return Promise.resolve();
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      restoreAutocheckpoint();
      if (!worker) return Promise.resolve();
      return new Promise<void>((resolve) => {
        // A worker that does not answer (stuck in a lock wait) is ended all the same.
        const deadline = setTimeout(finish, STOP_TIMEOUT_MS);
        unrefTimer(deadline);
        done = () => {
          clearTimeout(deadline);
          resolve();
        };
        worker?.post({ type: 'stop' });
      });
    },
  };
}

/** Lets the process exit while `timer` is pending: Bun's and Node's timers are objects with `unref()`, Deno's are ids. */
function unrefTimer(timer: ReturnType<typeof setTimeout>): void {
  if (typeof timer === 'object') timer.unref?.();
  else (globalThis as { Deno?: { unrefTimer(id: number): void } }).Deno?.unrefTimer(timer as number);
}

/** What both SQLite drivers' connections offer (bun:sqlite's Database, node:sqlite's DatabaseSync). */
interface SqliteClient {
  exec(sql: string): unknown;
  prepare(sql: string): SqliteStatement;
  close(): void;
}

/** A prepared statement of either driver: bun:sqlite reads rows as arrays with `values`, node:sqlite after `setReturnArrays`. */
interface SqliteStatement {
  run(...params: SqliteValue[]): unknown;
  all(...params: SqliteValue[]): unknown[];
  values?(...params: SqliteValue[]): unknown[][];
  setReturnArrays?(enabled: boolean): void;
}

/**
 * The hub's handle on an opened connection: raw `exec`, prepared transaction control,
 * and the WAL checkpointer for a database file, stopped before the connection closes.
 */
export function sqliteHandle(
  client: SqliteClient,
  path: string,
  db: SqliteDatabase,
  driver: CheckpointerOptions['driver'],
  beforeClose?: () => void,
): SqliteHandle {
  const exec = (sql: string) => void client.exec(sql);
  const checkpointer = path === ':memory:' ? null : startCheckpointer({ path, exec }, { driver });
  return {
    db,
    exec,
    prepareRun: (sql) => {
      const statement = client.prepare(sql);
      return () => void statement.run();
    },
    prepareValues: (sql) => {
      const statement = client.prepare(sql);
      if (statement.values) return statement.values.bind(statement);
      statement.setReturnArrays?.(true);
      return (...params) => statement.all(...params) as unknown[][];
    },
    setCheckpointGate: (gate) => checkpointer?.setGate(gate),
    async close() {
      await checkpointer?.stop();
      beforeClose?.();
      client.close();
    },
  };
}
