import '../src/polyfill.js';

export {
  type BundlerOptions,
  decodeBundle,
  encodeBundle,
  maxBundleBytes,
  TxBundler,
  type TxBundlerDeps,
} from './bundle.js';
export {
  ConsensusNet,
  type ConsensusNetDeps,
  type ConsensusNetOptions,
  type ConsensusSink,
  defaultConsensusNetOptions,
} from './consensus-net.js';
export { P2pError, P2pErrorCode } from './errors.js';
export { PeerGater } from './gater.js';
export {
  Gossip,
  type GossipKind,
  type GossipVerdict,
  gossipTopic,
  gossipTopics,
  type TopicHandlers,
} from './gossip.js';
export { createHost, type HostDeps, type HostOptions, P2pHost } from './host.js';
export { type P2pLogger, silentLogger } from './logger.js';
export {
  type BundleLimits,
  defaultP2pOptions,
  defaultReqRespOptions,
  defaultTxBundlerOptions,
  type P2pOptions,
  type ReqRespOptions,
  type TxBundlerOptions,
} from './options.js';
export { ephemeralPeerKey, loadOrCreatePeerKey } from './peer-key.js';
export { ReqResp, type RequestHandler } from './reqresp.js';
export { PeerScorer } from './scoring.js';
export { peerIdOf } from './static-peers.js';
export { type ChainStatus, STATUS_PROTOCOL, type StatusProvider, StatusService } from './status.js';
export { type AdmitResult, type TxGossipDeps, TxGossipValidator } from './tx-gossip.js';
export {
  GossipReason,
  penaltyOf,
  type Reason,
  SeenCache,
  SyncReason,
  type Validation,
  type Verdict,
  verdictOf,
} from './validation.js';
