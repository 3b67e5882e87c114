/** The OpenRPC 1.2 document of `rpc.discover`, generated from the same schemas that validate calls. */
import type { TSchema } from '@sinclair/typebox';
import type { Guard } from './call-guard.js';
import { type ErrorTable, JsonRpcCode, ServerCode } from './error-codes.js';
import type { RpcMethod } from './methods.js';
import type { TopicSpec } from './topics.js';

export interface OpenRpcContentDescriptor {
  name: string;
  required?: boolean;
  description?: string;
  schema: unknown;
}

export interface OpenRpcError {
  code: number;
  message: string;
  data?: unknown;
}

export interface OpenRpcMethod {
  name: string;
  summary: string;
  description?: string;
  paramStructure: 'either';
  params: OpenRpcContentDescriptor[];
  result: OpenRpcContentDescriptor;
  errors?: OpenRpcError[];
  deprecated?: boolean;
  /** Who may call it (docs/API-SCOPES.md): public, operator, or the identities the chain relates to the subject. */
  'x-scope'?: string;
}

export interface OpenRpcDocument {
  openrpc: string;
  info: { title: string; version: string };
  methods: OpenRpcMethod[];
  components: { errors: Record<string, OpenRpcError> };
  /** Subscription topics: `subscribe(topic, filter?)` then `subscription` notifications carrying events. */
  'x-topics': { name: string; summary?: string; filter: unknown; event?: unknown; 'x-scope'?: string }[];
}

/** TypeBox marks schemas with symbol keys; JSON drops them, leaving plain JSON Schema. */
const plain = (schema: TSchema): unknown => JSON.parse(JSON.stringify(schema));

export function buildOpenRpc(
  info: { title: string; version: string },
  methods: RpcMethod[],
  topics: TopicSpec[],
  table: ErrorTable,
  guard: Guard | null = null,
): OpenRpcDocument {
  const topicNames = topics.map((t) => t.name);
  const docMethods = methods.map((m): OpenRpcMethod => {
    const s = m.spec;
    const out: OpenRpcMethod = {
      name: s.name,
      summary: s.summary,
      paramStructure: 'either',
      params: s.params.map((p) => {
        const d: OpenRpcContentDescriptor = { name: p.name, required: p.required !== false, schema: plain(p.schema) };
        if (p.description !== undefined) d.description = p.description;
        // The topic list is known only when the document is built.
        if (s.name === 'subscribe' && p.name === 'topic') d.schema = { type: 'string', enum: topicNames };
        return d;
      }),
      result: { name: s.resultName ?? 'result', schema: plain(s.result) },
    };
    if (s.description !== undefined) out.description = s.description;
    if (s.errors !== undefined && s.errors.length > 0)
      out.errors = s.errors.map((code) => ({ code: table.numberOf(code), message: code, data: { code } }));
    if (s.deprecated === true) out.deprecated = true;
    if (guard !== null) out['x-scope'] = guard.scopeOf(s.name);
    return out;
  });

  const errors: Record<string, OpenRpcError> = {};
  for (const [name, code] of Object.entries(JsonRpcCode)) errors[name] = { code, message: name };
  for (const [name, code] of Object.entries(ServerCode)) errors[name] = { code, message: name };
  for (const [name, code] of table.entries()) errors[name] = { code, message: name };

  return {
    openrpc: '1.2.6',
    info: { title: info.title, version: info.version },
    methods: docMethods,
    components: { errors },
    'x-topics': topics.map((t) => ({
      name: t.name,
      ...(t.summary !== undefined && { summary: t.summary }),
      filter: plain(t.filter),
      ...(t.event !== undefined && { event: plain(t.event) }),
      ...(guard !== null && { 'x-scope': guard.topicScopeOf(t.name) }),
    })),
  };
}
