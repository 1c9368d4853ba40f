// Boot chart in OSv's format (include/osv/boot.hh, loader.cc): stage 0 is the machine's start;
// each later stage prints "\t<name>: <ms since start>ms, (+<ms since previous>ms)".
// With a Tracer, each stamp is also a `boot_stage` tracepoint, so a boot shows in the trace.
import type { Tracepoint, Tracer } from './tracer.js';

export interface BootStage {
  readonly name: string;
  /** Milliseconds (float) on the realtime scale, comparable across the VMM and the guest. */
  readonly atMs: number;
}

export class Bootchart {
  private readonly stages: BootStage[] = [];
  private readonly tp: Tracepoint<['str', 'f64']> | undefined;

  constructor(originMs: number, tracer?: Tracer) {
    this.stages.push({ name: '', atMs: originMs });
    this.tp = tracer?.tracepoint('boot_stage', '%s at %gms', ['str', 'f64']);
  }

  stamp(name: string, atMs: number): void {
    this.stages.push({ name, atMs });
    if (this.tp?.enabled) this.tp.emit(name, atMs - this.stages[0]!.atMs);
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
