/**
 * WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside the
 * commit that crosses its threshold, on the connection that committed: copying the
 * WAL back into the database and two fsyncs, on the hub's event loop (a bulk delete
 * of a million expired rows stalled it for 100 ms and more). This runs them from a
 * worker thread with a connection of its own, and turns the automatic checkpoint of
 * the hub's connection off while (and only while) that worker is running.
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

import type { CheckpointGate } from './types.ts';

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
}

/** What the hub's connection uses between checkpoints when no worker runs them (SQLite's default). */
export const AUTOCHECKPOINT_PAGES = 1000;

export interface Checkpointer {
  /** How to keep the hub's connection idle while a RESTART checkpoint holds the write lock. */
  setGate(gate: CheckpointGate): void;
  /** Stops the worker (after its checkpoint in flight) and closes its connection. */
  stop(): Promise<void>;
}

/** The worker's source. It has to be inline: a compiled binary cannot start a worker from a file of the bundle. */
function workerSource(driver: CheckpointerOptions['driver']): string {
  const open =
    driver === 'bun:sqlite'
      ? `import { Database } from 'bun:sqlite';
const open = (path) => new Database(path);
const row = (db, sql) => db.query(sql).get();`
      : `import { DatabaseSync } from 'node:sqlite';
const open = (path) => new DatabaseSync(path);
const row = (db, sql) => db.prepare(sql).get();`;
  return `${open}
let db = null;
let timer = null;
let delay = 0;
let lastLog = -1;
let settings = null;
const failed = (err) => postMessage({ type: 'failed', message: String((err && err.message) || err) });
function schedule(log) {
  const growing = log > 0 && log !== lastLog;
  lastLog = log;
  delay = growing ? settings.busyMs : Math.min(settings.idleMs, Math.max(settings.busyMs, delay * 2));
  timer = setTimeout(checkpoint, delay);
}
function checkpoint() {
  timer = null;
  try {
    const { log } = row(db, 'PRAGMA wal_checkpoint(PASSIVE)');
    // The hub's next write starts the WAL over only once a checkpoint has caught up with
    // every frame, which a PASSIVE one never does under continuous writes: past the
    // threshold, ask the hub to keep its connection idle for a RESTART one.
    if (log >= settings.restartFrames) postMessage({ type: 'restart' });
    else schedule(log);
  } catch (err) {
    failed(err);
  }
}
self.onmessage = (event) => {
  const message = event.data;
  if (message.type === 'start') {
    try {
      settings = message;
      delay = settings.busyMs;
      db = open(message.path);
      // Waiting for a lock here blocks only this thread.
      db.exec('PRAGMA busy_timeout = 1000');
      db.exec('PRAGMA wal_autocheckpoint = 0');
      postMessage({ type: 'ready' });
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
      postMessage({ type: 'restarted' });
      failed(err);
      return;
    }
    postMessage({ type: 'restarted' });
    schedule(log);
  } else if (message.type === 'stop') {
    if (timer) clearTimeout(timer);
    try { db?.close(); } catch {}
    postMessage({ type: 'stopped' });
  }
};
`;
}

let sourceUrls: Partial<Record<CheckpointerOptions['driver'], string>> = {};

function sourceUrl(driver: CheckpointerOptions['driver']): string {
  sourceUrls[driver] ??= URL.createObjectURL(new Blob([workerSource(driver)], { type: 'application/javascript' }));
  return sourceUrls[driver];
}

/** Only for tests that count workers: forgets the cached worker sources. */
export function resetCheckpointerSources(): void {
  for (const url of Object.values(sourceUrls)) if (url) URL.revokeObjectURL(url);
  sourceUrls = {};
}

/**
 * Starts checkpointing `target` from a worker thread after `startAfterMs`. The hub's
 * connection keeps SQLite's automatic checkpoint until the worker has opened its own
 * connection, and gets it back when the worker fails or stops.
 */
export function startCheckpointer(target: CheckpointTarget, options: CheckpointerOptions): Checkpointer {
  const settings = {
    busyMs: options.busyMs ?? 100,
    idleMs: options.idleMs ?? 1000,
    restartFrames: options.restartFrames ?? 16384,
  };
  let gate: CheckpointGate = (run) => run();
  let worker: Worker | null = null;
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
    const current = new Worker(sourceUrl(options.driver), { type: 'module' });
    worker = current;
    (current as Worker & { unref?: () => void }).unref?.();
    current.onmessage = (event: MessageEvent<{ type: string; message?: string }>) => {
      const { type } = event.data;
      if (type === 'ready') {
        if (!stopped) target.exec('PRAGMA wal_autocheckpoint = 0');
      } else if (type === 'restart') {
        void gate(
          () =>
            new Promise<void>((resolve) => {
              if (worker !== current) return resolve();
              restarted = resolve;
              current.postMessage({ type: 'idle' });
            }),
        );
      } else if (type === 'restarted') {
        restarted?.();
        restarted = null;
      } else if (type === 'failed') fail(event.data.message);
      else if (type === 'stopped') finish();
    };
    current.onerror = (event) => {
      event.preventDefault?.();
      fail(event.message);
    };
    current.postMessage({ type: 'start', path: target.path, ...settings });
  };

  let timer: ReturnType<typeof setTimeout> | null = setTimeout(spawn, options.startAfterMs ?? 500);
  (timer as { unref?: () => void }).unref?.();

  return {
    setGate(next) {
      gate = next;
    },
    stop() {
      if (stopped) return Promise.resolve();
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      if (!worker) return Promise.resolve();
      restoreAutocheckpoint();
      return new Promise<void>((resolve) => {
        done = resolve;
        worker?.postMessage({ type: 'stop' });
      });
    },
  };
}
