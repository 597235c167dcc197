import pino from 'pino';

/** Structured logging: `log.info({ requestId }, 'message')`. pino's shape, so pino fits. */
export interface Logger {
  trace(obj: object | string, msg?: string): void;
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  fatal(obj: object | string, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** JSON lines on stdout, one object per line. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'relaykit' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  }) as unknown as Logger;
}

/** A logger that writes nothing (tests, `relaykit config check`). */
export const silentLogger: Logger = createLogger('silent');
