/**
 * The chain at a glance, for operators and the curious: head and finalized height (live, from the
 * newHeads subscription), the latest blocks, the validators' votes and missed blocks, finality and
 * throughput charts, validator governance, the mempool depth and the peers. With the node's operator token, each block's
 * transactions (bodies name patients: the node serves them to its operator only).
 */
import { useEffect, useState } from 'preact/hooks';
import { type HeaderJson, MedchainClient, type Status, type ValidatorJson } from '../../client/index.js';
import { localTime, shortId } from '../format.js';
import { errorText } from '../live.js';
import type { Names } from '../names.js';
import { nodeUrl, publicHttp, type Session } from '../session.js';
import { ChainActivity } from './activity.js';
import { Governance } from './governance.js';
import { BlockTxs, OperatorToken } from './operator.js';

const KEEP = 8;

export function Explorer(props: { session: Session | null; names: Names }) {
  const [status, setStatus] = useState<Status | null>(null);
  const [heads, setHeads] = useState<HeaderJson[]>([]);
  const [validators, setValidators] = useState<ValidatorJson[]>([]);
  const [error, setError] = useState<string | null>(null);
  /** The operator's client (token kept in memory only), or null. */
  const [operator, setOperator] = useState<MedchainClient | null>(null);

  useEffect(() => {
    const http = publicHttp();
    let ws: MedchainClient | null = null;
    let alive = true;
    const refresh = (): void => {
      http.status().then(
        (s) => alive && setStatus(s),
        (err: unknown) => alive && setError(errorText(err)),
      );
    };
    (async () => {
      const s = await http.status();
      if (!alive) return;
      setStatus(s);
      const from = Math.max(1, s.headHeight - KEEP + 1);
      const hs = await Promise.all(
        Array.from({ length: s.headHeight - from + 1 }, (_, i) => http.call('chain_getHeader', { block: from + i })),
      );
      if (alive) setHeads(hs.reverse());
      setValidators(await http.call('chain_getValidators'));
      ws = await MedchainClient.ws(nodeUrl());
      if (!alive) {
        ws.close().catch(() => {});
        return;
      }
      await ws.subscribe('newHeads', undefined, (h) => {
        setHeads((old) =>
          [h as HeaderJson, ...old.filter((x) => x.height !== (h as HeaderJson).height)].slice(0, KEEP),
        );
        refresh();
      });
    })().catch((err: unknown) => alive && setError(errorText(err)));
    return () => {
      alive = false;
      ws?.close().catch(() => {});
    };
  }, []);

  return (
    <div class="stack">
      {error !== null && <p class="error">{error}</p>}
      <section aria-labelledby="status-h" class="card">
        <h2 id="status-h">Status</h2>
        {status === null ? (
          <p>Loading…</p>
        ) : (
          <dl class="facts">
            <dt>Chain</dt>
            <dd>{status.chainId}</dd>
            <dt>Head height</dt>
            <dd data-testid="head-height">{status.headHeight}</dd>
            <dt>Finalized height</dt>
            <dd data-testid="finalized-height">{status.finalizedHeight}</dd>
            <dt>Last block</dt>
            <dd>{localTime(status.headTime)}</dd>
            <dt>Waiting transactions</dt>
            <dd>{status.mempoolSize}</dd>
            <dt>Node</dt>
            <dd>
              {status.nodeVersion}
              {status.syncing ? ' (catching up)' : ''}
            </dd>
          </dl>
        )}
      </section>
      <section aria-labelledby="blocks-h">
        <h2 id="blocks-h">Latest blocks</h2>
        <table>
          <caption class="sr-only">The latest blocks, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Height</th>
              <th scope="col">Time</th>
              <th scope="col">Hash</th>
            </tr>
          </thead>
          <tbody>
            {heads.map((h) => (
              <tr key={h.height}>
                <td>{h.height}</td>
                <td>{localTime(h.time)}</td>
                <td title={h.hash}>
                  <code>{shortId(h.hash)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {operator !== null && <BlockTxs client={operator} head={status?.headHeight ?? 1} names={props.names} />}
      <ChainActivity head={status?.headHeight ?? 0} validators={validators} names={props.names} />
      <Governance head={status?.headHeight ?? 0} names={props.names} />
      <OperatorToken client={operator} onChange={setOperator} />
      <Peers client={operator} />
    </div>
  );
}

function Peers(props: { client: MedchainClient | null }) {
  const [peers, setPeers] = useState<string>('Loading…');
  useEffect(() => {
    (props.client ?? publicHttp()).call('net_peers').then(
      (p) => setPeers(`${p.length} connected`),
      () => setPeers('Shown to the node’s operator only.'),
    );
  }, [props.client]);
  return (
    <section aria-labelledby="peers-h">
      <h2 id="peers-h">Peers</h2>
      <p data-testid="peers">{peers}</p>
    </section>
  );
}
