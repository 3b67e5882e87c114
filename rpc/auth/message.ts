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

export function signInMessage(f: SignInFields): string {
  return [
    `${f.domain} wants you to sign in with your MedChain identity:`,
    f.identity,
    '',
    SIGN_IN_STATEMENT,
    '',
    `URI: medchain://${f.chainId}/${f.genesisHash}`,
    'Version: 1',
    `Chain ID: ${f.chainId}`,
    `Nonce: ${f.nonce}`,
    `Issued At: ${new Date(f.issuedAt).toISOString()}`,
    `Expiration Time: ${new Date(f.expiresAt).toISOString()}`,
  ].join('\n');
}
