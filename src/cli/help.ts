import { VERSION } from '../version.ts';

/**
 * The CLI's help text. It lives apart from the commands so `relaykit --help` can
 * print it without loading the hub (see src/cli.ts).
 */
export const HELP = `relaykit ${VERSION} — a plugin-based realtime event hub

Usage: relaykit [command] [options]

Commands:
  start                 Start the hub (the default command)
  migrate               Apply database migrations and exit
  config check [FILE]   Validate a config file without starting
  config schema         Print the JSON Schema of the config file
  openapi               Print the OpenAPI document

Options:
  -c, --config PATH     Config file (default: $RELAYKIT_CONFIG or ./relaykit.config.yaml)
  -h, --help            Show this help
  -v, --version         Print the version

Environment:
  RELAYKIT_CONFIG, RELAYKIT_PORT, RELAYKIT_HOST, RELAYKIT_STORAGE_URL, RELAYKIT_ADMIN_TOKEN
`;
