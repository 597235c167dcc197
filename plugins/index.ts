import type { PluginDefinition } from '../src/kernel/plugin.ts';
import dashboard from './dashboard/index.ts';
import health from './health/index.ts';
import metrics from './metrics/index.ts';
import pusher from './pusher/index.ts';
import sse from './sse/index.ts';
import ttl from './ttl/index.ts';
import webhooks from './webhooks/index.ts';
import wsChannels from './ws-channels/index.ts';

/**
 * The built-in plugins, in the order they start (dependencies permitting). The
 * kernel receives this list from the CLI; it knows none of them by name.
 */
export const builtinPlugins: readonly PluginDefinition[] = [
  wsChannels,
  sse,
  pusher,
  webhooks,
  ttl,
  metrics,
  health,
  dashboard,
];
