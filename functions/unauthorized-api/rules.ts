/**
 * Built-in rules of unauthorized-api: the CIS AWS Foundations monitoring patterns, verbatim, with a
 * severity each, and the named sets users pick with RULE_SETS (or `replay --rules`).
 */
import type { Severity } from '../../shared/alert/alert';
import { CIS_PATTERNS, type CisPatternId } from '../../shared/detect/filter-pattern/cis-patterns';

export interface BuiltInRule {
  /** `CloudWatch.2`, `CIS.4.15`, … */
  id: CisPatternId;
  /** Rule name shown in alerts: `unauthorized-api-calls`, … */
  name: string;
  description: string;
  pattern: string;
  severity: Severity;
  /** Counts toward AuthorizationFailureCount. */
  authorizationFailure: boolean;
}

const SEVERITY: Partial<Record<CisPatternId, Severity>> = {
  'CloudWatch.1': 'critical',
  'CloudWatch.2': 'high',
  'CIS.4.1': 'high',
  'CloudWatch.5': 'high',
  'CloudWatch.7': 'high',
  'CloudWatch.9': 'high',
  'CIS.4.15': 'high',
};

const AUTHORIZATION_FAILURE_RULES: readonly CisPatternId[] = ['CloudWatch.2', 'CIS.4.1'];

export const BUILT_IN_RULES: readonly BuiltInRule[] = CIS_PATTERNS.map((cis) => ({
  id: cis.id,
  name: cis.name,
  description: cis.description,
  pattern: cis.pattern,
  severity: SEVERITY[cis.id] ?? 'medium',
  authorizationFailure: AUTHORIZATION_FAILURE_RULES.includes(cis.id),
}));

const SECURITY_HUB: CisPatternId[] = CIS_PATTERNS.map((cis) => cis.id).filter((id): id is CisPatternId =>
  id.startsWith('CloudWatch.'),
);

export const RULE_SETS = {
  /** The default: refused API calls, CloudWatch.2 / CIS v1.2 3.1. */
  unauthorized: ['CloudWatch.2'],
  /** The CIS v1.4+ text of 4.1, which ignores delivery.logs.amazonaws.com and HeadBucket refusals. */
  'unauthorized-v1.4': ['CIS.4.1'],
  /** Security Hub CloudWatch.1–14 plus CIS 4.15 (Organizations). */
  cis: [...SECURITY_HUB, 'CIS.4.15'],
  /** The CIS v1.4+ texts: 4.1 and 4.2 replace CloudWatch.2 and CloudWatch.3. */
  'cis-v1.4': [
    ...SECURITY_HUB.filter((id) => id !== 'CloudWatch.2' && id !== 'CloudWatch.3'),
    'CIS.4.1',
    'CIS.4.2',
    'CIS.4.15',
  ],
  /** Every built-in rule. */
  all: CIS_PATTERNS.map((cis) => cis.id),
} as const satisfies Record<string, readonly CisPatternId[]>;
