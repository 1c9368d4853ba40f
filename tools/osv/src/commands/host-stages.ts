// Where `osv run`'s time goes on the host, for -V: named stamps in milliseconds since the osv
// process started (performance.now(), whose origin is the process's start). The guest's
// bootchart (--bootchart) starts when the machine is created, the "machine created" stamp
// here, so the two together account for a whole run.
export class HostStages {
  private readonly stamps: [string, number][] = [];

  constructor(private readonly now: () => number = () => performance.now()) {}

  stamp(name: string): void {
    this.stamps.push([name, this.now()]);
  }

  /** `osv: host: CLI loaded 41.2 ms, …` (one line). */
  format(): string {
    const parts = this.stamps.map(([name, ms]) => `${name} ${ms.toFixed(1)} ms`);
    return `osv: host (since osv started): ${parts.join(', ')}\n`;
  }
}
