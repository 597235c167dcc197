import type { HealthCheck } from '../../src/kernel/health.ts';
import type { PusherService } from './service.ts';

/** The pusher plugin's health: apps near their connection quota warn; it never affects readiness. */
export function pusherHealthChecks(svc: PusherService): HealthCheck[] {
  return [
    {
      name: 'pusher:connections',
      componentType: 'component',
      affectsReadiness: false,
      check: () => {
        const near = [...svc.apps.values()].filter(
          (app) => app.config.maxConnections > 0 && app.sessions.size >= app.config.maxConnections * 0.9,
        );
        return {
          status: near.length ? 'warn' : 'pass',
          observedValue: svc.bySocket.size,
          observedUnit: 'connections',
          ...(near.length ? { output: `apps near their connection quota: ${near.map((a) => a.id).join(', ')}` } : {}),
        };
      },
    },
  ];
}
