export type { IntakeItem, RecordKind } from './intake-item';
export { unwrapEnvelope, MAX_ENVELOPE_DEPTH } from './unwrap-envelope';
export {
  decodeInput,
  parseJsonSafely,
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  type DecodedInput,
  type DecodedDocument,
  type DecodeRejection,
  type DecodeOptions,
  type ParseResult,
} from './decode-input';
