import { Type } from '@sinclair/typebox';
import { definePlugin } from '../../src/kernel/plugin.ts';
import { dashboardRoutes } from './routes.ts';

/**
 * A web UI for operators at `/dashboard`: overview, plugins, traffic, realtime,
 * messages, webhooks and retention. It is static files embedded in the hub; in the
 * browser it signs in with the admin token (kept in the tab's sessionStorage) and
 * reads and changes everything through the hub's HTTP APIs, so a view whose plugin
 * is off says so. Nothing is loaded from any other host.
 */
export default definePlugin({
  name: 'dashboard',
  description: 'A web UI at /dashboard for operators, behind the admin token',
  options: Type.Object({}, { additionalProperties: false, default: {} }),
  setup() {
    return { routes: () => dashboardRoutes() };
  },
});
