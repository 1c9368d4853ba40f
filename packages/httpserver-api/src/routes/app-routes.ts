// The `app` group (OSv api/app.cc): start programs from the image in the background, and ask
// whether one has finished. Not in the monitoring build, as in OSv (route-set.ts). The kernel decides when an app runs (KernelControl
// startApps; osv-ts has one app thread, so an app waits for the one that holds it).
import { AppLaunchError } from '@osv-ts/kernel-api';
import { badParam } from '../http/http-error.js';
import { json, required, type Route } from '../route.js';

/** A thread id as OSv's route takes it: decimal digits. */
function threadId(text: string): number {
  if (!/^\d{1,9}$/.test(text)) throw badParam(`bad thread id '${text}'`);
  return Number(text);
}

export const appRoutes: readonly Route[] = [
  {
    group: 'app',
    method: 'PUT',
    path: '/app/',
    nickname: 'run_app',
    summary: 'Run an application with its command line parameters',
    type: 'string',
    mutates: true,
    params: [
      {
        name: 'command',
        paramType: 'query',
        type: 'string',
        required: true,
        description: "command line to execute (OSv syntax; '&' separates apps)",
      },
      {
        name: 'new_program',
        paramType: 'query',
        type: 'boolean',
        required: false,
        description: 'run the app in a new program namespace (every osv-ts app is a program of its own)',
      },
    ],
    handle: (ctx) => {
      const command = required(ctx, 'command');
      const newProgram = ctx.params.get('new_program');
      if (newProgram !== undefined && !/^(true|false|0|1)$/i.test(newProgram))
        throw badParam(`bad new_program '${newProgram}' (true or false)`);
      try {
        return json(ctx.guest.control.startApps(command).join(' '));
      } catch (e) {
        if (e instanceof AppLaunchError) throw badParam(e.message);
        throw e;
      }
    },
  },
  {
    group: 'app',
    method: 'GET',
    path: '/app/finished',
    nickname: 'finished_app',
    summary: 'Tell whether the thread of an application has finished',
    type: 'string',
    params: [{ name: 'tid', paramType: 'query', type: 'long', required: true, description: 'the thread id' }],
    handle: (ctx) => {
      const tid = threadId(required(ctx, 'tid'));
      // OSv: "1" when no such thread is alive (any thread: an app's or a kernel thread).
      const alive = ctx.guest.control.appRunning(tid) || ctx.guest.sched.thread(tid) !== undefined;
      return json(alive ? '0' : '1');
    },
  },
];
