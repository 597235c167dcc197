import type { Redis } from 'ioredis';

/** How long a polite QUIT may take before the connection is simply dropped. */
const QUIT_TIMEOUT_MS = 1000;

/**
 * Closes one connection without waiting on an unreachable Redis: ioredis queues a QUIT
 * sent while it is reconnecting until it gets through, so a node cut off from Redis
 * never finished its shutdown. A connection that is not ready is dropped at once; a
 * ready one gets QUIT, and is dropped if the answer does not come in time.
 */
export async function endConnection(connection: Redis): Promise<void> {
  if (connection.status !== 'ready') {
    connection.disconnect();
    return;
  }
  const timer = setTimeout(() => connection.disconnect(), QUIT_TIMEOUT_MS);
  try {
    await connection.quit();
  } catch {
    // Dropped by the timer, or the connection broke meanwhile: it is closed either way.
  } finally {
    clearTimeout(timer);
  }
}
