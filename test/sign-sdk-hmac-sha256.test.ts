import { createHmac } from 'node:crypto';
import {
  canonicalQueryString,
  canonicalRequest,
  canonicalUri,
  EMPTY_BODY_SHA256,
  formatSdkDate,
  parseSdkDate,
  sha256Hex,
  signRequest,
  stringToSign,
} from '../shared/sinks/sign-sdk-hmac-sha256';

/** Huawei API Request Signing Guide worked example (huawei-facts.md §6.2). */
const VECTOR = {
  request: {
    method: 'GET',
    url: 'https://service.region.example.com/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs?limit=2&marker=13551d6b-755d-4757-b956-536f674975c0',
    headers: {
      'Content-Type': 'application/json',
      Host: 'service.region.example.com',
      'X-Sdk-Date': '20191115T033655Z',
    },
    body: '',
  },
  credentials: { accessKey: 'QTWAOYTTINDUT2QVKYUC', secretKey: 'MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc' },
  now: new Date('2019-11-15T03:36:55Z'),
  canonicalRequest: [
    'GET',
    '/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs/',
    'limit=2&marker=13551d6b-755d-4757-b956-536f674975c0',
    'content-type:application/json',
    'host:service.region.example.com',
    'x-sdk-date:20191115T033655Z',
    '',
    'content-type;host;x-sdk-date',
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  ].join('\n'),
  hashedCanonicalRequest: 'b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a',
  stringToSign: 'SDK-HMAC-SHA256\n20191115T033655Z\nb25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a',
  authorization:
    'SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe',
};

describe('SDK-HMAC-SHA256: the published test vector', () => {
  it('builds the canonical request of the worked example, blank line included', () => {
    const canonical = canonicalRequest(VECTOR.request, ['content-type', 'host', 'x-sdk-date']);
    expect(canonical).toBe(VECTOR.canonicalRequest);
    expect(sha256Hex(canonical)).toBe(VECTOR.hashedCanonicalRequest);
  });

  it('builds the string to sign of the worked example', () => {
    expect(stringToSign(VECTOR.canonicalRequest, '20191115T033655Z')).toBe(VECTOR.stringToSign);
  });

  it('signs the worked example to the published Authorization header, byte for byte', () => {
    const { 'X-Sdk-Date': _date, ...headers } = VECTOR.request.headers;
    const signed = signRequest({ ...VECTOR.request, headers }, VECTOR.credentials, VECTOR.now);
    expect(signed.Authorization).toBe(VECTOR.authorization);
    expect(signed['X-Sdk-Date']).toBe('20191115T033655Z');
  });

  it('gives the same signature when Host is left for the HTTP client to send, and does not add it to the headers to send', () => {
    const signed = signRequest(
      { ...VECTOR.request, headers: { 'Content-Type': 'application/json' } },
      VECTOR.credentials,
      VECTOR.now,
    );
    expect(signed.Authorization).toBe(VECTOR.authorization);
    expect(Object.keys(signed).sort()).toEqual(['Authorization', 'Content-Type', 'X-Sdk-Date']);
  });

  it('replaces a stale X-Sdk-Date or Authorization given by the caller instead of signing it', () => {
    const headers = { 'content-type': 'application/json', 'x-sdk-date': '20000101T000000Z', authorization: 'old' };
    const signed = signRequest({ ...VECTOR.request, headers }, VECTOR.credentials, VECTOR.now);
    expect(signed.Authorization).toBe(VECTOR.authorization);
    expect(signed).not.toHaveProperty('authorization');
    expect(signed).not.toHaveProperty('x-sdk-date');
  });
});

describe('SDK-HMAC-SHA256: canonicalization', () => {
  it.each([
    ['/v1/projects', '/v1/projects/'],
    ['/v1/projects/', '/v1/projects/'],
    ['', '/'],
    ['/', '/'],
    [
      '/v2/p/notifications/topics/urn:smn:eu-de:p:alerts/publish',
      '/v2/p/notifications/topics/urn%3Asmn%3Aeu-de%3Ap%3Aalerts/publish/',
    ],
    [
      '/v2/p/notifications/topics/urn%3Asmn%3Aeu-de%3Ap%3Aalerts/publish',
      '/v2/p/notifications/topics/urn%3Asmn%3Aeu-de%3Ap%3Aalerts/publish/',
    ],
    ["/a b/it's(*)!/~-_.", '/a%20b/it%27s%28%2A%29%21/~-_./'],
    ['/caf%C3%A9', '/caf%C3%A9/'],
  ])('canonical URI of %j is %j', (path, expected) => {
    expect(canonicalUri(path)).toBe(expected);
  });

  it.each([
    ['', ''],
    ['?b=2&a=1', 'a=1&b=2'],
    ['?a=2&a=1&a=10', 'a=1&a=10&a=2'],
    ['?empty=&flag', 'empty=&flag='],
    ['?q=a%20b&x=%2F%3A*&y=~-_.', 'q=a%20b&x=%2F%3A%2A&y=~-_.'],
    ['?name=caf%C3%A9', 'name=caf%C3%A9'],
    ['?Z=1&a=1', 'Z=1&a=1'],
  ])('canonical query string of %j is %j', (search, expected) => {
    expect(canonicalQueryString(search)).toBe(expected);
  });

  it('lower-cases header names and trims values, whatever the caller wrote', () => {
    const base = { method: 'post', url: 'https://smn.eu-de.otc.t-systems.com/v2/p/x', body: '{}' };
    const a = canonicalRequest({ ...base, headers: { 'Content-Type': '  application/json ', HOST: 'h' } }, [
      'content-type',
      'host',
    ]);
    const b = canonicalRequest({ ...base, headers: { 'content-type': 'application/json', host: 'h' } }, [
      'content-type',
      'host',
    ]);
    expect(a).toBe(b);
    expect(a.split('\n').slice(0, 5)).toEqual(['POST', '/v2/p/x/', '', 'content-type:application/json', 'host:h']);
  });

  it('refuses a header given twice under different spellings', () => {
    const req = { method: 'GET', url: 'https://h/', headers: { 'X-A': '1', 'x-a': '2' }, body: '' };
    expect(() => signRequest(req, VECTOR.credentials, VECTOR.now)).toThrow(/given twice/);
  });

  it('refuses to canonicalize when a signed header is missing', () => {
    expect(() => canonicalRequest({ method: 'GET', url: 'https://h/', headers: {}, body: '' }, ['host'])).toThrow(
      /host is missing/,
    );
  });

  it('hashes the exact UTF-8 body bytes, and the empty body to the known constant', () => {
    expect(sha256Hex('')).toBe(EMPTY_BODY_SHA256);
    expect(sha256Hex('{"message":"é"}')).toBe(sha256Hex(Buffer.from('{"message":"é"}', 'utf8')));
  });

  it('uses X-Sdk-Content-Sha256 in place of the body hash when given', () => {
    const req = {
      method: 'PUT',
      url: 'https://h/',
      headers: { host: 'h', 'x-sdk-content-sha256': 'UNSIGNED-PAYLOAD' },
      body: 'ignored',
    };
    expect(canonicalRequest(req, ['host']).endsWith('\nUNSIGNED-PAYLOAD')).toBe(true);
  });

  it('signs every header sent, host included, and the security token of temporary credentials', () => {
    const signed = signRequest(
      {
        method: 'POST',
        url: 'https://smn.eu-de.otc.t-systems.com:8443/v2/p/x',
        headers: { 'Content-Type': 'application/json', 'X-Project-Id': 'p' },
        body: '{}',
      },
      { ...VECTOR.credentials, securityToken: 'temporary-token' },
      VECTOR.now,
    );
    expect(signed['X-Security-Token']).toBe('temporary-token');
    expect(signed.Authorization).toMatch(/SignedHeaders=content-type;host;x-project-id;x-sdk-date;x-security-token,/);

    const canonical = canonicalRequest(
      {
        method: 'POST',
        url: 'https://smn.eu-de.otc.t-systems.com:8443/v2/p/x',
        headers: { ...signed, Host: 'smn.eu-de.otc.t-systems.com:8443' },
        body: '{}',
      },
      ['content-type', 'host', 'x-project-id', 'x-sdk-date', 'x-security-token'],
    );
    const signature = createHmac('sha256', VECTOR.credentials.secretKey)
      .update(stringToSign(canonical, signed['X-Sdk-Date']))
      .digest('hex');
    expect(signed.Authorization.endsWith(`Signature=${signature}`)).toBe(true);
  });

  it('formats and parses X-Sdk-Date as YYYYMMDDTHHMMSSZ in UTC', () => {
    expect(formatSdkDate(new Date('2024-02-29T23:59:58.987Z'))).toBe('20240229T235958Z');
    expect(parseSdkDate('20240229T235958Z')).toBe(Date.parse('2024-02-29T23:59:58Z'));
    expect(parseSdkDate('20230229T000000Z')).toBeUndefined();
    expect(parseSdkDate('2024-02-29T23:59:58Z')).toBeUndefined();
  });
});
