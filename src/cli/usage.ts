/** A mistake on the command line or in what it names: the CLI prints the message, no stack, and exits 1. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** An environment variable, with an empty value counted as unset. */
export function envValue(env: Record<string, string | undefined>, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}
