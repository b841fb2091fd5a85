/**
 * AWS Organizations ListAccounts, every page: the names of the organization's accounts. Loaded by a
 * dynamic import (its own chunk in the Lambda build, with the SDK client), only when
 * ACCOUNT_NAMES_FROM_ORGANIZATIONS is on and an alert names an account. Needs `organizations:ListAccounts`,
 * which only the management account or a delegated administrator may call.
 */
import { cleanAccountName } from './account-names';

export interface OrganizationsOptions {
  /** Endpoint override (a local endpoint in tests, a VPC endpoint). */
  endpoint?: string;
  /** Organizations is a global service: its endpoint lives in us-east-1 (aws partition). */
  region?: string;
  /** Bound on each call. */
  timeoutMs?: number;
}

/** At most this many pages (20 accounts each by default): 10,000 accounts, the default quota is 10. */
const MAX_PAGES = 500;

export async function listOrganizationAccounts(options: OrganizationsOptions = {}): Promise<Map<string, string>> {
  // The SDK client is imported here too, so a bundle that inlines this module still loads the client on first use.
  const { ListAccountsCommand, OrganizationsClient } = await import('@aws-sdk/client-organizations');
  const client = new OrganizationsClient({
    region: options.region ?? 'us-east-1',
    maxAttempts: 3,
    requestHandler: {
      requestTimeout: options.timeoutMs ?? 3_000,
      connectionTimeout: 2_000,
      throwOnRequestTimeout: true,
    },
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  });
  const names = new Map<string, string>();
  try {
    let token: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const answer = await client.send(new ListAccountsCommand(token ? { NextToken: token } : {}));
      for (const account of answer.Accounts ?? []) {
        const name = cleanAccountName(account.Name);
        if (typeof account.Id === 'string' && /^\d{12}$/.test(account.Id) && name) names.set(account.Id, name);
      }
      token = answer.NextToken;
      if (!token) break;
    }
  } finally {
    client.destroy();
  }
  return names;
}
