/**
 * The `--version` anchor: the smallest compiled program that prints a line and exits,
 * the floor of any `relaykit --version` (loading the executable, starting the runtime).
 */
console.log(process.argv[2] ?? '');

export {};
