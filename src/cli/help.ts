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
  asyncapi              Print the AsyncAPI document of the realtime transports
  config init [FILE]    Write a commented config with every plugin (default ./relaykit.config.yaml; - prints it)
  token                 Mint a JWT from auth.jwt: --sub ID --channels PAT --publish PAT --ttl 1h [--system] [--key PEM]
  token --check TOKEN   Verify a JWT as the hub would and print its claims
  publish JSON          Send a message: --channel NAME | --to CLIENT, --type TYPE [--from ID] [--ttl 1h] '{"text":"hi"}'
  subscribe CHANNEL...  Print messages on these channels as JSON lines, resuming after drops [--since ID] [--count N]
  tail [CHANNEL...]     Like subscribe, every channel by default (*, needs the admin token)
  status                Health, plugins, realtime counts; with the admin token also node,
                        uptime, config file and the last reload [--json]

Client options: --url URL (default $RELAYKIT_URL or http://127.0.0.1:3000), --token TOKEN (default $RELAYKIT_TOKEN)

Options:
  -c, --config PATH     Config file (default: $RELAYKIT_CONFIG or ./relaykit.config.yaml)
  -h, --help            Show this help
  -v, --version         Print the version

Environment:
  RELAYKIT_CONFIG, RELAYKIT_PORT, RELAYKIT_HOST, RELAYKIT_STORAGE_URL, RELAYKIT_ADMIN_TOKEN,
  RELAYKIT_URL, RELAYKIT_TOKEN (client commands)
`;
