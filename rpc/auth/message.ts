/**
 * The sign-in text, shaped after EIP-4361 ("Sign-In with Ethereum") so a person can read what they
 * sign. The node builds it and keeps it with the nonce; the caller signs exactly these bytes under
 * the sign-in signing domain (chain id length-prefixed), and the node verifies against its own copy,
 * so it never parses text a caller sent.
 */
export interface SignInFields {
  domain: string;
  identity: string;
  chainId: string;
  genesisHash: string;
  nonce: string;
  issuedAt: number;
  expiresAt: number;
}

export const SIGN_IN_STATEMENT = 'Sign in to read what this identity may see on MedChain.';

/** A key-only sign-in: what it may read is narrower, and the text says so. */
export const KEY_SIGN_IN_STATEMENT = 'Sign in to read the receipts of transactions this key signed.';

export function signInMessage(f: SignInFields, key = false): string {
  return [
    key
      ? `${f.domain} wants you to sign in with your MedChain key:`
      : `${f.domain} wants you to sign in with your MedChain identity:`,
    f.identity,
    '',
    key ? KEY_SIGN_IN_STATEMENT : SIGN_IN_STATEMENT,
    '',
    `URI: medchain://${f.chainId}/${f.genesisHash}`,
    'Version: 1',
    `Chain ID: ${f.chainId}`,
    `Nonce: ${f.nonce}`,
    `Issued At: ${new Date(f.issuedAt).toISOString()}`,
    `Expiration Time: ${new Date(f.expiresAt).toISOString()}`,
  ].join('\n');
}
