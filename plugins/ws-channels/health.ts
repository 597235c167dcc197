import type { HealthCheck } from '../../src/kernel/health.ts';
import type { WsService } from './service.ts';

/** ws-channels' health checks; neither affects readiness (the hub still serves HTTP). */
export function wsHealthChecks(svc: WsService): HealthCheck[] {
  return [
    {
      name: 'ws:connections',
      componentType: 'component',
      affectsReadiness: false,
      check: () => {
        const max = svc.options.maxConnections;
        const count = svc.sessions.size;
        const near = max > 0 && count >= max * 0.9;
        return {
          status: near ? 'warn' : 'pass',
          observedValue: count,
          observedUnit: 'connections',
          ...(near ? { output: `${count} of at most ${max} connections` } : {}),
        };
      },
    },
    {
      name: 'ws:sendBuffer',
      componentType: 'component',
      affectsReadiness: false,
      check: () => {
        let largest = 0;
        for (const s of svc.sessions) largest = Math.max(largest, s.bufferedAmount());
        const limit = svc.options.sendBufferBytes;
        const high = largest > limit / 2;
        return {
          status: high ? 'warn' : 'pass',
          observedValue: largest,
          observedUnit: 'bytes',
          ...(high ? { output: `a connection has ${largest} bytes waiting (closed above ${limit})` } : {}),
        };
      },
    },
  ];
}
