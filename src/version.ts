/**
 * The node's release and the peer protocol it speaks. A peer whose protocol major differs is
 * refused at the status handshake; the node version is informational (status, metrics).
 * Bump PROTOCOL_VERSION on any change to blocks, votes, gossip or sync wire formats.
 */
export const NODE_VERSION = '0.1.0';
export const PROTOCOL_VERSION = 1;
