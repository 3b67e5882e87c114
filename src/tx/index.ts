/** The medical transaction layer: kinds, vocabularies, body codecs, co-signatures, builders. */
export * from './bodies.js';
export * from './builders.js';
export * from './cosign.js';
export * from './kinds.js';
