export type { IntakeItem, RecordKind } from './intake-item';
export {
  unwrapEnvelope,
  unwrapEnvelopeTo,
  isCloudTrailDigest,
  isCtsDigest,
  MAX_ENVELOPE_DEPTH,
  type ItemSink,
} from './unwrap-envelope';
export {
  decodeInput,
  decodeDocuments,
  createInflationBudget,
  type InflationBudget,
  type DecodedPiece,
  parseJsonSafely,
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  type DecodedInput,
  type DecodedDocument,
  type DecodeRejection,
  type DecodeOptions,
  type ParseResult,
} from './decode-input';
