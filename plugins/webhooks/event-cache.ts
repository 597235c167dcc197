/**
 * Recently written event bodies kept in memory, so the worker claiming a
 * fresh delivery does not read back what this process wrote a moment ago. Events
 * never change once written, so a cached copy is always right; a miss reads the
 * database. Bounded by total body size, oldest first out.
 */
export class EventCache {
  private readonly entries = new Map<string, string>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  set(id: string, body: string): void {
    if (body.length > this.maxBytes) return;
    this.entries.set(id, body);
    this.bytes += body.length;
    while (this.bytes > this.maxBytes) {
      const oldest = this.entries.entries().next().value;
      if (!oldest) break;
      this.entries.delete(oldest[0]);
      this.bytes -= oldest[1].length;
    }
  }

  get(id: string): string | undefined {
    return this.entries.get(id);
  }
}
