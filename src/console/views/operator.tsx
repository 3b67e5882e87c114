/**
 * What only the node's operator may read, behind its bearer token (typed here, kept in memory for
 * this page only, sent only to the node that served the page): each block's transactions, whose
 * bodies name patients.
 */
import { useEffect, useState } from 'preact/hooks';
import { decodeTx } from '../../chain/tx.js';
import { hex, MedchainClient, unhex } from '../../client/index.js';
import { TX_KIND_NAMES } from '../../tx/kinds.js';
import { shortId } from '../format.js';
import { errorText } from '../live.js';
import type { Names } from '../names.js';
import { nodeUrl } from '../session.js';

export function OperatorToken(props: { client: MedchainClient | null; onChange: (c: MedchainClient | null) => void }) {
  const [msg, setMsg] = useState('');
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    const token = String(new FormData(e.currentTarget as HTMLFormElement).get('token') ?? '').trim();
    const c = MedchainClient.http(nodeUrl(), { token });
    try {
      // An operator-only read: a wrong token is refused here, not later.
      await c.call('net_peers');
      props.onChange(c);
      setMsg('');
    } catch (err) {
      setMsg(`The node refused this token: ${errorText(err)}`);
    }
  };
  return (
    <section aria-labelledby="operator-h" class="card">
      <h2 id="operator-h">Node operator</h2>
      {props.client !== null ? (
        <p>
          Showing what only this node’s operator may see.{' '}
          <button type="button" class="link" onClick={() => props.onChange(null)}>
            Forget the token
          </button>
        </p>
      ) : (
        <form onSubmit={submit}>
          <p class="muted">Block transactions name patients: the node shows them to its operator only.</p>
          <label for="operator-token">Operator token</label>
          <input id="operator-token" name="token" type="password" autocomplete="off" required />
          <button type="submit">Show operator data</button>
          {msg !== '' && (
            <p class="error" role="alert">
              {msg}
            </p>
          )}
        </form>
      )}
    </section>
  );
}

/** Plain words for a kind: GRANT_CONSENT -> grant consent. */
const kindWords = (kind: number): string => (TX_KIND_NAMES[kind] ?? `kind ${kind}`).toLowerCase().replaceAll('_', ' ');

/** Any block's transactions, by height (the latest by default). */
export function BlockTxs(props: { client: MedchainClient; head: number; names: Names }) {
  const [height, setHeight] = useState<number | null>(null);
  const submit = (e: Event): void => {
    e.preventDefault();
    const n = Number(new FormData(e.currentTarget as HTMLFormElement).get('height'));
    if (Number.isSafeInteger(n) && n >= 1) setHeight(n);
  };
  return (
    <section aria-labelledby="txs-h" data-testid="block-txs">
      <h2 id="txs-h">Transactions in a block</h2>
      <form onSubmit={submit}>
        <label for="block-height">Block height</label>
        <input id="block-height" name="height" type="number" min="1" required placeholder={String(props.head)} />
        <button type="submit">Show its transactions</button>
      </form>
      {height !== null && <BlockBody key={height} height={height} client={props.client} names={props.names} />}
    </section>
  );
}

interface TxRow {
  hash: string;
  kind: string;
  signer: string;
}

function BlockBody(props: { height: number; client: MedchainClient; names: Names }) {
  const [rows, setRows] = useState<TxRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    props.client.call('chain_getBlock', { block: props.height, fullTxs: true }).then(
      async (b) => {
        const txs = b.txs.map((t) => decodeTx(unhex(t)));
        setRows(
          await Promise.all(
            txs.map(async (t) => ({
              hash: hex(t.hash),
              kind: kindWords(t.kind),
              signer: (await props.names.party(hex(t.signer))).label,
            })),
          ),
        );
      },
      (err: unknown) => setError(errorText(err)),
    );
  }, [props.client, props.height, props.names]);
  return (
    <div data-height={props.height} aria-live="polite">
      <h3>Block {props.height}</h3>
      {error !== null && <p class="error">{error}</p>}
      {rows === null && error === null && <p>Loading…</p>}
      {rows !== null && rows.length === 0 && <p>No transactions.</p>}
      {rows !== null && rows.length > 0 && (
        <ul class="plain">
          {rows.map((r) => (
            <li key={r.hash} data-tx={r.hash}>
              {r.kind}, signed by {r.signer} <code title={r.hash}>{shortId(r.hash)}</code>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
