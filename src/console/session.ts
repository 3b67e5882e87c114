/**
 * The connection to the node that served the page (same origin: no other host is ever called):
 * a public client for what anyone may read, and, once signed in, an HTTP client and a WebSocket
 * client that each hold an auth_login session of the account and renew it.
 */
import { type Account, hex, MedchainClient, TxFactory } from '../client/index.js';

export type Role = 'patient' | 'practitioner' | 'organization' | 'operator' | 'public';

export interface Session {
  account: Account;
  /** The key file's name. */
  name: string;
  /** The identity id (0x). */
  id: string;
  role: Role;
  chainId: string;
  http: MedchainClient;
  ws: MedchainClient;
  tx: TxFactory;
}

export const nodeUrl = (): string => `${location.origin}/`;

let publicClient: MedchainClient | null = null;
/** Reads that need no sign-in (headers, validators, status, identities of professionals). */
export const publicHttp = (): MedchainClient => {
  publicClient ??= MedchainClient.http(nodeUrl());
  return publicClient;
};

export async function openSession(account: Account, name: string): Promise<Session> {
  const { chainId } = await publicHttp().status();
  const http = MedchainClient.http(nodeUrl(), { account, chainId });
  const who = await http.call('auth_session');
  const ws = await MedchainClient.ws(nodeUrl(), { account, chainId });
  return {
    account,
    name,
    id: hex(account.id),
    role: who.role as Role,
    chainId,
    http,
    ws,
    tx: new TxFactory({ chainId, account }),
  };
}

export async function closeSession(s: Session): Promise<void> {
  await Promise.allSettled([s.http.call('auth_logout'), s.ws.call('auth_logout')]);
  await Promise.allSettled([s.http.close(), s.ws.close()]);
  s.account.secretKey.fill(0);
}

/** Calls `fn` on every finalized event the session may see (signed-in WebSocket); returns the stop function. */
export async function onEvents(
  s: Session,
  filter: { patient?: string; grantee?: string; kinds?: string[] },
  fn: (e: unknown) => void,
): Promise<() => Promise<void>> {
  return s.ws.subscribe('events', filter, fn);
}
