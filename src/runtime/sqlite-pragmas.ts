/** Pragmas every SQLite connection of the hub opens with, whatever the runtime. */
export const SQLITE_PRAGMAS = [
  'PRAGMA journal_mode = WAL',
  // With WAL, NORMAL is durable against process crashes (a killed hub loses nothing
  // it committed); only an OS crash or power loss can roll back the last commits.
  'PRAGMA synchronous = NORMAL',
  // The driver's busy wait blocks the event loop: keep it short. The store waits for
  // longer locks in steps off the loop (storage.lockTimeoutMs, src/storage/sqlite.ts).
  'PRAGMA busy_timeout = 20',
  'PRAGMA foreign_keys = ON',
  // After a bulk write (a sweep of expired rows) the WAL file shrinks back to 64 MiB
  // when SQLite restarts it, instead of keeping its largest size on disk.
  'PRAGMA journal_size_limit = 67108864',
] as const;
