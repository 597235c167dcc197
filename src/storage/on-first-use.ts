/**
 * An object whose every property is made the first time it is read, then kept: for
 * prepared statements, which cost a start the building and parsing of each one (a
 * tenth of a cold start for the message store's and the webhook worker's) while many
 * run only once the hub has traffic, some never.
 */
export function onFirstUse<T extends object>(makers: { readonly [K in keyof T]: () => T[K] }): T {
  const made = {} as T;
  for (const key of Object.keys(makers) as Array<keyof T>) {
    Object.defineProperty(made, key, {
      configurable: true,
      enumerable: true,
      get() {
        const value = makers[key]();
        Object.defineProperty(made, key, { value, enumerable: true });
        return value;
      },
    });
  }
  return made;
}
