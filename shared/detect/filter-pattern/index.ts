export { compileFilterPattern, type CompiledPattern } from './compile-filter-pattern';
export { extractValues } from './extract-values';
export { FilterPatternError } from './filter-pattern-error';
export { UnmatchableValueError } from './json-text';
export { matchLines } from './match-lines';
export { MAX_PATTERN_LENGTH } from './parser';
export {
  CIS_PATTERNS,
  DEFAULT_UNAUTHORIZED_PATTERN,
  type CisPattern,
} from './cis-patterns';
