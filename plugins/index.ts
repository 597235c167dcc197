import type { PluginDefinition } from '../src/kernel/plugin.ts';
import webhooks from './webhooks/index.ts';

/**
 * The built-in plugins, in the order they start (dependencies permitting). The
 * kernel receives this list from the CLI; it knows none of them by name.
 */
export const builtinPlugins: readonly PluginDefinition[] = [webhooks as unknown as PluginDefinition];
