import { Type } from '@sinclair/typebox';
import { defineMethod } from '../methods.js';
import { Uint } from '../schema.js';
import type { NodeApi } from './types.js';

export function netMethods(api: NodeApi) {
  return [
    defineMethod({
      name: 'net_peers',
      summary: 'Connected peers with the height they last reported',
      params: [],
      result: Type.Array(Type.Object({ peerId: Type.String(), height: Type.Union([Uint(), Type.Null()]) })),
      handler: () => api.peers(),
    }),
  ];
}
