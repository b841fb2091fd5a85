/**
 * A CloudTrail endpoint on loopback speaking the JSON 1.1 protocol for ListPublicKeys
 * (`X-Amz-Target: CloudTrail_20131101.ListPublicKeys`): answers with the given keys (Value as base64
 * DER, times as epoch seconds, as the protocol carries them), records every call with its region (from
 * the SigV4 credential scope) and asks for a second page once, so pagination is exercised.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listenOnLoopback, type LoopbackServer } from './loopback-server';
import type { SigningKey } from './digest-chain';

export interface CloudTrailEndpoint extends LoopbackServer {
  calls: { region: string; body: Record<string, unknown> }[];
}

export async function startCloudTrailEndpoint(keys: SigningKey[]): Promise<CloudTrailEndpoint> {
  const calls: CloudTrailEndpoint['calls'] = [];
  const server = await listenOnLoopback(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = req.headers['x-amz-target'];
    if (target !== 'CloudTrail_20131101.ListPublicKeys') {
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ __type: 'UnknownOperationException', message: `unexpected ${String(target)}` }));
      return;
    }
    const region = /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(String(req.headers.authorization))?.[1] ?? '';
    const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown>;
    calls.push({ region, body });
    const entries = keys.map((key, i) => ({
      Value: key.publicKey.export({ format: 'der', type: i % 2 === 0 ? 'pkcs1' : 'spki' }).toString('base64'),
      ValidityStartTime: Date.parse('2026-01-01T00:00:00Z') / 1000,
      ValidityEndTime: Date.parse('2027-01-01T00:00:00Z') / 1000,
      Fingerprint: key.fingerprint,
    }));
    // Two pages: the first key, then the rest.
    const page =
      body.NextToken === 'page-2'
        ? { PublicKeyList: entries.slice(1) }
        : { PublicKeyList: entries.slice(0, 1), NextToken: 'page-2' };
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
    res.end(JSON.stringify(page));
  }, new Set());
  return Object.assign(server, { calls });
}
