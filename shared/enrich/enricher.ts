/**
 * The enrichment stage, at the edge: after detection, the events behind the alerts get the geo of their
 * source address and the name of their account (TraceEvent `geo`, `accountName`), which every function's
 * alert text and the Alert object show. Nothing is loaded until an alert needs it: the geo databases on
 * the first public address (replay starts their read at its first finding, so it runs beside the files),
 * Organizations' account list on the first AWS account without a name. A
 * failure is reported once through `onError` and costs the alert its context, never the alert.
 */
import type { TraceEvent } from '../normalize/trace-event';
import { cleanAccountName } from './account-names';
import type { EnrichConfig } from './enrich-config';
import { type GeoLookup, isPublicIp } from './geo';
import { type GeoDatabasePaths, openGeoDatabases } from './geo-database';

export interface EnricherDeps {
  openGeo?: (paths: GeoDatabasePaths) => Promise<GeoLookup>;
  /** Organizations' account names (organizations-accounts.ts, imported on first use). */
  listAccounts?: (options: { endpoint?: string }) => Promise<Map<string, string>>;
  now?: () => number;
  onError?: (what: 'geo' | 'organizations', error: unknown) => void;
}

export interface Enricher {
  /** Whether a geo database is configured (or embedded). */
  readonly geoAvailable: boolean;
  /** The geo lookup, databases opened on the first call (a lookup that knows nothing if they cannot be). */
  geo(): Promise<GeoLookup>;
  /** Sets `geo` and `accountName` on these events where known. Never throws. */
  enrich(events: readonly TraceEvent[]): Promise<void>;
}

/** The edges' onError: one error line per failure, constant message, what failed and why. */
export function enrichmentErrorLogger(log: {
  error(fields: Record<string, unknown>, message: string): void;
}): NonNullable<EnricherDeps['onError']> {
  // The alert still goes, without the geo (`what: geo`) or the Organizations names (`what: organizations`).
  return (what, error) => log.error({ err: error, what }, 'enrichment unavailable');
}

/** How long Organizations' list is used before it is asked again; a failed call is retried after 5 minutes. */
export const ORGANIZATIONS_TTL_MS = 60 * 60 * 1000;
const ORGANIZATIONS_RETRY_MS = 5 * 60 * 1000;

const NO_GEO: GeoLookup = () => undefined;

/**
 * Organizations' account names through the SDK client, imported on first use. Passed in by the edges
 * that may call it (Lambda, the CLI): a FunctionGraph bundle must not carry the AWS SDK client.
 */
export async function listAccountsWithSdk(options: { endpoint?: string }): Promise<Map<string, string>> {
  const { listOrganizationAccounts } = await import('./organizations-accounts');
  return listOrganizationAccounts(options);
}

function accountOf(event: TraceEvent): string | undefined {
  return event.account ?? event.actor.account;
}

export function createEnricher(config: EnrichConfig, deps: EnricherDeps = {}): Enricher {
  const now = deps.now ?? Date.now;
  let geo: Promise<GeoLookup> | undefined;
  let organizations: { at: number; ttl: number; names: Promise<Map<string, string>> } | undefined;

  const openGeo = (): Promise<GeoLookup> => {
    const paths = config.geo;
    if (!paths) return Promise.resolve(NO_GEO);
    geo ??= (deps.openGeo ?? openGeoDatabases)(paths).catch((error: unknown) => {
      // A file that passed the cold-start check but cannot be read: every later alert goes without geo.
      deps.onError?.('geo', error);
      return NO_GEO;
    });
    return geo;
  };

  const organizationNames = (): Promise<Map<string, string>> => {
    const at = now();
    if (organizations && at - organizations.at < organizations.ttl) return organizations.names;
    const list = deps.listAccounts ?? (() => Promise.reject(new Error('AWS Organizations is not available here')));
    const entry = {
      at,
      ttl: ORGANIZATIONS_TTL_MS,
      names: list(config.organizations ?? {}).catch((error: unknown) => {
        deps.onError?.('organizations', error);
        entry.ttl = ORGANIZATIONS_RETRY_MS;
        return new Map<string, string>();
      }),
    };
    organizations = entry;
    return entry.names;
  };

  return {
    geoAvailable: config.geo !== undefined,
    geo: openGeo,
    async enrich(events) {
      const located = events.filter((event) => event.sourceIp !== undefined && isPublicIp(event.sourceIp));
      if (located.length > 0 && config.geo) {
        const lookup = await openGeo();
        for (const event of located) {
          const found = lookup(event.sourceIp as string);
          if (found) event.geo = found;
        }
      }
      const unnamed: TraceEvent[] = [];
      for (const event of events) {
        const account = accountOf(event);
        if (account === undefined) continue;
        const name = config.accountNames.get(account);
        if (name !== undefined) event.accountName = name;
        else unnamed.push(event);
      }
      const askOrganizations = config.organizations && unnamed.some((event) => event.cloud === 'aws');
      const fromOrganizations = askOrganizations ? await organizationNames() : undefined;
      for (const event of unnamed) {
        const account = accountOf(event) as string;
        const name =
          fromOrganizations?.get(account) ??
          // Huawei: the trace names the domain of the user who acted; it is the event's when the ids agree.
          (event.cloud === 'huaweicloud' && (event.actor.account === undefined || event.actor.account === account)
            ? cleanAccountName(event.actor.accountName)
            : undefined);
        if (name !== undefined) event.accountName = name;
      }
    },
  };
}
