// The `trace` group (OSv api/trace.cc): list and switch tracepoints, count them, and fetch the
// trace buffer. The tracepoints are core-sched's (the Scheduler's Tracer, the one `--trace`
// enables), reached through the `scheduler` service this module already requires. Left out of
// the monitoring build, as OSv leaves the group out of httpserver-monitoring-api.
import { encodeOsvTraceDump, type Tracepoint, type Tracer } from '@osv-ts/core-sched';
import { badParam, serverError } from '../http/http-error.js';
import { json, required, type ParamSpec, type Route, type RouteContext } from '../route.js';

/** OSv's sampler refuses frequencies above this (api/trace.cc). */
export const MAX_SAMPLER_HZ = 100_000;

const eventParam: ParamSpec = {
  name: 'eventid',
  paramType: 'path',
  type: 'string',
  required: true,
  description: 'tracepoint name',
};
const matchParam: ParamSpec = {
  name: 'match',
  paramType: 'query',
  type: 'string',
  required: false,
  description: 'regular expression over tracepoint names (all when absent)',
};
const enabledParam: ParamSpec = {
  name: 'enabled',
  paramType: 'query',
  type: 'boolean',
  required: true,
  description: 'enable or disable',
};
const backtraceParam: ParamSpec = {
  name: 'backtrace',
  paramType: 'query',
  type: 'boolean',
  required: false,
  description: 'request backtraces for the records',
};

const tracerOf = (ctx: RouteContext): Tracer => ctx.guest.sched.tracer;

/** A boolean parameter: `true`/`1` or `false`/`0`, anything else is OSv's bad_param_exception. */
function booleanParam(name: string, value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw badParam(`${name}: '${value}' is not a boolean (true or false)`);
}

function eventInfo(tp: Tracepoint): Record<string, unknown> {
  return { name: tp.name, id: String(tp.id), enabled: tp.recording, backtrace: tp.backtrace };
}

function matching(ctx: RouteContext): Tracepoint[] {
  const all = tracerOf(ctx).all;
  const pattern = ctx.params.get('match');
  if (pattern === undefined || pattern === '') return [...all];
  let re: RegExp;
  try {
    // std::regex_match in OSv: the whole name must match.
    re = new RegExp(`^(?:${pattern})$`);
  } catch (e) {
    throw badParam(`match: bad regular expression: ${(e as Error).message}`);
  }
  return all.filter((tp) => re.test(tp.name));
}

function eventNamed(ctx: RouteContext): Tracepoint {
  const name = required(ctx, 'eventid');
  const tp = tracerOf(ctx).find(name);
  if (!tp) throw badParam('Unknown tracepoint name');
  return tp;
}

/** Sets recording and backtrace; true when either changed. */
function apply(tp: Tracepoint, enabled: boolean, backtrace: boolean | undefined): boolean {
  const before = [tp.recording, tp.backtrace];
  tp.recording = enabled;
  if (backtrace !== undefined) tp.backtrace = backtrace;
  return before[0] !== tp.recording || before[1] !== tp.backtrace;
}

export const traceRoutes: readonly Route[] = [
  {
    group: 'trace',
    method: 'GET',
    path: '/trace/status',
    nickname: 'getTraceStatus',
    summary: 'Get the state of every tracepoint (or those whose name matches)',
    type: 'array',
    items: 'TraceEventInfo',
    params: [matchParam],
    handle: (ctx) => json(matching(ctx).map(eventInfo)),
  },
  {
    group: 'trace',
    method: 'POST',
    path: '/trace/status',
    nickname: 'setTraceStatus',
    summary: 'Enable or disable the tracepoints whose name matches; returns those that changed',
    type: 'array',
    items: 'TraceEventInfo',
    params: [matchParam, enabledParam, backtraceParam],
    mutates: true,
    handle: (ctx) => {
      const enabled = booleanParam('enabled', required(ctx, 'enabled'))!;
      const backtrace = booleanParam('backtrace', ctx.params.get('backtrace'));
      return json(
        matching(ctx)
          .filter((tp) => apply(tp, enabled, backtrace))
          .map(eventInfo),
      );
    },
  },
  {
    group: 'trace',
    method: 'GET',
    path: '/trace/event/{eventid}',
    nickname: 'getTraceEvent',
    summary: 'Get the state of one tracepoint',
    type: 'TraceEventInfo',
    params: [eventParam],
    handle: (ctx) => json(eventInfo(eventNamed(ctx))),
  },
  {
    group: 'trace',
    method: 'POST',
    path: '/trace/event/{eventid}',
    nickname: 'setTraceEvent',
    summary: 'Enable or disable one tracepoint',
    type: 'TraceEventInfo',
    params: [eventParam, enabledParam, backtraceParam],
    mutates: true,
    handle: (ctx) => {
      const tp = eventNamed(ctx);
      const enabled = booleanParam('enabled', required(ctx, 'enabled'))!;
      apply(tp, enabled, booleanParam('backtrace', ctx.params.get('backtrace')));
      return json(eventInfo(tp));
    },
  },
  {
    group: 'trace',
    method: 'POST',
    path: '/trace/count/{eventid}',
    nickname: 'setCountEvent',
    summary: 'Start (from 0) or stop counting one tracepoint',
    type: 'void',
    params: [eventParam, { ...enabledParam, description: 'count or stop counting' }],
    mutates: true,
    handle: (ctx) => {
      const tp = eventNamed(ctx);
      tp.counting = booleanParam('enabled', required(ctx, 'enabled'))!;
      return json('');
    },
  },
  {
    group: 'trace',
    method: 'GET',
    path: '/trace/count',
    nickname: 'getCounts',
    summary: 'Get the count of every counted tracepoint',
    type: 'TraceCounts',
    handle: (ctx) => {
      const list = tracerOf(ctx)
        .all.filter((tp) => tp.counting)
        .map((tp) => ({ name: tp.name, count: tp.count }));
      return json({ list, time_ms: Number(ctx.guest.clock.realtimeNs() / 1_000_000n) });
    },
  },
  {
    group: 'trace',
    method: 'DELETE',
    path: '/trace/count',
    nickname: 'clearCounts',
    summary: 'Stop and forget every counter',
    type: 'void',
    mutates: true,
    handle: (ctx) => {
      for (const tp of tracerOf(ctx).all) tp.counting = false;
      return json('');
    },
  },
  {
    group: 'trace',
    method: 'POST',
    path: '/trace/sampler',
    nickname: 'setSampler',
    summary: 'Start (freq Hz) or stop (freq 0) the sampler; starting is refused here (see the README)',
    type: 'string',
    params: [
      {
        name: 'freq',
        paramType: 'query',
        type: 'int',
        required: true,
        description: `sampling frequency in Hz, 0 stops, at most ${MAX_SAMPLER_HZ}`,
      },
    ],
    mutates: true,
    handle: (ctx) => {
      const raw = required(ctx, 'freq');
      if (!/^\d{1,9}$/.test(raw)) throw badParam(`freq: '${raw}' is not a frequency in Hz`);
      const freq = Number(raw);
      if (freq > MAX_SAMPLER_HZ) throw badParam(`Frequency too high (max ${MAX_SAMPLER_HZ} Hz)`);
      if (freq === 0) return json('Sampler stopped successfully');
      // OSv's sampler is a per-CPU timer interrupt that records the interrupted stack. Here the
      // vCPU is one JS thread that runs the app's wasm to its next kernel call: no interrupt can
      // stop it mid-computation and there is no stack to walk, so samples would only ever show
      // the kernel's own yield points. Refused rather than faked.
      throw serverError(
        'Sampler not available: the vCPU cannot be interrupted mid-computation and has no stack to sample',
      );
    },
  },
  {
    group: 'trace',
    method: 'GET',
    path: '/trace/buffers',
    nickname: 'getTraceBuffers',
    summary: "The trace buffer as OSv's trace dump file (what scripts/trace.py and `osv trace --api` read)",
    type: 'string',
    handle: (ctx) => {
      // Read from the ring (a consistent copy while tracepoints keep writing), then written in
      // OSv's dump format, each record with the name of its thread where the thread still exists.
      const { catalog, records } = tracerOf(ctx).read();
      const names = new Map(ctx.guest.sched.threadInfo().map((t) => [t.id, t.name]));
      const dump = encodeOsvTraceDump(catalog, records, { threadName: (id) => names.get(id) });
      return { raw: dump, contentType: 'application/octet-stream' };
    },
  },
];
