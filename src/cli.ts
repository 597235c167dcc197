#!/usr/bin/env bun
/**
 * The `relaykit` command. `relaykit --version` and `relaykit --help` answer here,
 * before a single module of the hub is loaded: the commands (and with them Elysia,
 * Drizzle, the plugins ...) are imported only for the other invocations. The binary
 * is built with code splitting, so what is not imported is not even read.
 */
import { HELP } from './cli/help.ts';
import { VERSION } from './version.ts';

const argv = process.argv.slice(2);
const only = argv.length === 1 ? argv[0] : undefined;
if (only === '--version' || only === '-v') console.log(VERSION);
else if (only === '--help' || only === '-h') console.log(HELP);
else {
  const { runCli } = await import('./cli/main.ts');
  process.exitCode = await runCli(argv);
}
