export { compileFilterPattern, type CompiledPattern } from './compile-filter-pattern';
export { FilterPatternError } from './filter-pattern-error';
export { matchLines } from './match-lines';
export {
  CIS_PATTERNS,
  DEFAULT_UNAUTHORIZED_PATTERN,
  type CisPattern,
} from './cis-patterns';
