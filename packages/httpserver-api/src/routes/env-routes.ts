// The `env` group (OSv api/env.cc): the kernel's environment, which apps started later inherit.
import { badParam } from '../http/http-error.js';
import { json, required, type Route } from '../route.js';

const varParam = {
  name: 'var',
  paramType: 'path',
  type: 'string',
  required: true,
  description: 'name of the environment variable',
} as const;

export const envRoutes: readonly Route[] = [
  {
    group: 'env',
    method: 'GET',
    path: '/env/',
    nickname: 'list_env',
    summary: 'Returns a list of all environment variables in the system',
    type: 'array',
    items: 'string',
    handle: (ctx) => json([...ctx.guest.control.environment].map(([k, v]) => `${k}=${v}`)),
  },
  {
    group: 'env',
    method: 'GET',
    path: '/env/{var}',
    nickname: 'getEnv',
    summary: 'Returns the value of an environment variable',
    type: 'string',
    params: [varParam],
    handle: (ctx) => {
      const name = required(ctx, 'var');
      const v = ctx.guest.control.environment.get(name);
      if (v === undefined) throw badParam(`No environment variable ${name}`);
      return json(v);
    },
  },
  {
    group: 'env',
    method: 'POST',
    path: '/env/{var}',
    nickname: 'setEnv',
    summary: 'Sets the value of an environment variable',
    type: 'void',
    mutates: true,
    params: [varParam, { name: 'val', paramType: 'query', type: 'string', required: true, description: 'new value' }],
    handle: (ctx) => {
      const name = required(ctx, 'var');
      if (name.includes('=')) throw badParam(`bad environment variable name ${name}`);
      ctx.guest.control.environment.set(name, required(ctx, 'val'));
      return json('');
    },
  },
  {
    group: 'env',
    method: 'DELETE',
    path: '/env/{var}',
    nickname: 'unsetEnv',
    summary: 'Deletes an environment variable',
    type: 'void',
    mutates: true,
    params: [varParam],
    handle: (ctx) => {
      ctx.guest.control.environment.delete(required(ctx, 'var'));
      return json('');
    },
  },
];
