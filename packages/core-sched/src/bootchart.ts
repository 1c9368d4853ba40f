// Boot chart in OSv's format (include/osv/boot.hh, loader.cc): stage 0 is the machine's start;
// each later stage prints "\t<name>: <ms since start>ms, (+<ms since previous>ms)".

export interface BootStage {
  readonly name: string;
  /** Milliseconds (float) on the realtime scale, comparable across the VMM and the guest. */
  readonly atMs: number;
}

export class Bootchart {
  private readonly stages: BootStage[] = [];

  constructor(originMs: number) {
    this.stages.push({ name: '', atMs: originMs });
  }

  stamp(name: string, atMs: number): void {
    this.stages.push({ name, atMs });
  }

  get entries(): readonly BootStage[] {
    return this.stages;
  }

  /** Milliseconds from the first to the last stamp. */
  totalMs(): number {
    return this.stages[this.stages.length - 1]!.atMs - this.stages[0]!.atMs;
  }

  /** OSv's --bootchart output. */
  format(): string {
    const origin = this.stages[0]!.atMs;
    let out = '';
    for (let i = 1; i < this.stages.length; i++) {
      const s = this.stages[i]!;
      const prev = this.stages[i - 1]!;
      out += `\t${s.name}: ${(s.atMs - origin).toFixed(2)}ms, (+${(s.atMs - prev.atMs).toFixed(2)}ms)\n`;
    }
    return out;
  }

  /** OSv's line without --bootchart. */
  formatSummary(): string {
    return `Booted up in ${this.totalMs().toFixed(2)} ms\n`;
  }
}
