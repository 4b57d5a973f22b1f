#!/usr/bin/env node
// Checks that an S3 server (here: Ceph RGW from scripts/services/ceph-rgw.sh)
// honours the conditional-write semantics qspool relies on. No dependencies:
// plain fetch + AWS SigV4 signing with node:crypto.
//
//   eval "$(scripts/services/ceph-rgw.sh env)"
//   node scripts/services/check-s3-conditional.mjs          # full check, report, exit 1 on failure
//   node scripts/services/check-s3-conditional.mjs --ping   # one signed ListBuckets, exit 0 if 200
//   node scripts/services/check-s3-conditional.mjs --json   # report as JSON
//
// Env: S3_ENDPOINT, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, S3_REGION (default us-east-1).
// Path-style addressing (http://host:port/bucket/key), as RGW serves it without DNS setup.
import { createHash, createHmac, randomBytes } from 'node:crypto';

const endpoint = (process.env.S3_ENDPOINT ?? 'http://127.0.0.1:7480').replace(/\/+$/, '');
const accessKey = process.env.S3_ACCESS_KEY_ID ?? '';
const secretKey = process.env.S3_SECRET_ACCESS_KEY ?? '';
const region = process.env.S3_REGION ?? 'us-east-1';

const sha256hex = (data) => createHash('sha256').update(data).digest('hex');
const hmac = (key, data) => createHmac('sha256', key).update(data).digest();
// RFC 3986 encoding as SigV4 wants it (encodeURIComponent leaves !'()* alone).
const enc = (s) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());

/** Signed S3 request. path: "/bucket/key" (unencoded), query: object. Returns {status, headers, text}. */
export async function s3(method, path, { query = {}, headers = {}, body = '' } = {}) {
  const url = new URL(endpoint);
  const canonicalUri = path.split('/').map(enc).join('/') || '/';
  const canonicalQuery = Object.keys(query)
    .sort()
    .map((k) => `${enc(k)}=${enc(String(query[k]))}`)
    .join('&');
  const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const payloadHash = sha256hex(body);
  const signed = { host: url.host, 'x-amz-content-sha256': payloadHash, 'x-amz-date': amzDate };
  const signedNames = Object.keys(signed).sort();
  const canonicalRequest = [
    method,
    canonicalUri,
    canonicalQuery,
    signedNames.map((n) => `${n}:${signed[n]}\n`).join(''),
    signedNames.join(';'),
    payloadHash,
  ].join('\n');
  const scope = `${day}/${region}/s3/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256hex(canonicalRequest)].join('\n');
  let key = hmac('AWS4' + secretKey, day);
  for (const part of [region, 's3', 'aws4_request']) key = hmac(key, part);
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
  const res = await fetch(`${endpoint}${canonicalUri}${canonicalQuery ? '?' + canonicalQuery : ''}`, {
    method,
    headers: {
      ...headers,
      'x-amz-content-sha256': payloadHash,
      'x-amz-date': amzDate,
      authorization: `AWS4-HMAC-SHA256 Credential=${accessKey}/${scope}, SignedHeaders=${signedNames.join(';')}, Signature=${signature}`,
    },
    body: method === 'GET' || method === 'HEAD' ? undefined : body,
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

const xmlAll = (xml, tag) => [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, 'g'))].map((m) => m[1]);
const unxml = (s) =>
  s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');

async function main() {
  if (process.argv.includes('--ping')) {
    const r = await s3('GET', '/').catch((e) => ({ status: 0, text: String(e) }));
    if (r.status !== 200) {
      console.error(`ping: ${r.status} ${r.text.slice(0, 300)}`);
      process.exit(1);
    }
    return;
  }
  const results = [];
  const check = (name, ok, detail) => {
    results.push({ name, ok, detail });
  };
  const note = (name, detail) => results.push({ name, ok: null, detail });

  const bucket = `qspool-check-${randomBytes(4).toString('hex')}`;
  const r0 = await s3('PUT', `/${bucket}`);
  if (r0.status !== 200) throw new Error(`CreateBucket ${bucket}: ${r0.status} ${r0.text}`);

  try {
    // --- If-None-Match: *
    const put1 = await s3('PUT', `/${bucket}/obj`, { body: 'v1' });
    const etag1 = put1.headers.get('etag');
    check('PutObject plain', put1.status === 200, `status ${put1.status}, ETag header ${etag1}`);
    const inm = await s3('PUT', `/${bucket}/obj`, { body: 'v2', headers: { 'if-none-match': '*' } });
    check('PutObject If-None-Match:* on existing key -> 412', inm.status === 412, `status ${inm.status}`);
    const inmNew = await s3('PUT', `/${bucket}/fresh`, { body: 'x', headers: { 'if-none-match': '*' } });
    check('PutObject If-None-Match:* on new key -> 200', inmNew.status === 200, `status ${inmNew.status}`);
    const after = await s3('GET', `/${bucket}/obj`);
    check('object unchanged after rejected If-None-Match', after.text === 'v1', `body ${JSON.stringify(after.text)}`);

    // --- If-Match, quoted and unquoted
    const bare = etag1.replace(/"/g, '');
    const staleQ = `"${'0'.repeat(32)}"`;
    const staleU = '0'.repeat(32);
    const imStaleQ = await s3('PUT', `/${bucket}/obj`, { body: 'v2', headers: { 'if-match': staleQ } });
    check('PutObject If-Match stale (quoted) -> 412', imStaleQ.status === 412, `status ${imStaleQ.status}`);
    const imStaleU = await s3('PUT', `/${bucket}/obj`, { body: 'v2', headers: { 'if-match': staleU } });
    check('PutObject If-Match stale (unquoted) -> 412', imStaleU.status === 412, `status ${imStaleU.status}`);
    // RGW (Pacific) compares the raw If-Match header with the stored etag, which
    // is kept without quotes: so find out which spelling(s) it accepts.
    const imCurQ = await s3('PUT', `/${bucket}/obj`, { body: 'v2', headers: { 'if-match': `"${bare}"` } });
    const quotedOk = imCurQ.status === 200;
    const cur = quotedOk ? imCurQ.headers.get('etag').replace(/"/g, '') : bare;
    const imCurU = await s3('PUT', `/${bucket}/obj`, { body: 'v3', headers: { 'if-match': cur } });
    const unquotedOk = imCurU.status === 200;
    note('PutObject If-Match current etag, quoted ("<hex>")', `status ${imCurQ.status}`);
    note('PutObject If-Match current etag, unquoted (<hex>)', `status ${imCurU.status}`);
    check('PutObject If-Match current etag -> 200 (some spelling)', quotedOk || unquotedOk,
      `quoted ${quotedOk ? 'accepted' : 'rejected'}, unquoted ${unquotedOk ? 'accepted' : 'rejected'}`);
    const form = (hex) => (unquotedOk ? hex : `"${hex}"`);
    const afterCas = await s3('GET', `/${bucket}/obj`);
    check('object has the If-Match write', afterCas.text === (unquotedOk ? 'v3' : 'v2'), `body ${JSON.stringify(afterCas.text)}`);
    const imOld = await s3('PUT', `/${bucket}/obj`, { body: 'v4', headers: { 'if-match': form(bare) } });
    check('PutObject If-Match with superseded etag -> 412', imOld.status === 412, `status ${imOld.status}`);
    const imStar = await s3('PUT', `/${bucket}/obj`, { body: 'v5', headers: { 'if-match': '*' } });
    note('PutObject If-Match:* on existing key', `status ${imStar.status}`);
    const imStarMissing = await s3('PUT', `/${bucket}/nokey-star`, { body: 'x', headers: { 'if-match': '*' } });
    note('PutObject If-Match:* on missing key', `status ${imStarMissing.status}`);
    const imMissing = await s3('PUT', `/${bucket}/nokey`, { body: 'x', headers: { 'if-match': form(bare) } });
    note('PutObject If-Match <etag> on missing key', `status ${imMissing.status} (AWS: 404 NoSuchKey)`);
    const head = await s3('HEAD', `/${bucket}/obj`);
    const headTag = head.headers.get('etag');
    note('HEAD ETag header format', `${headTag}`);
    const getInm = await s3('GET', `/${bucket}/obj`, { headers: { 'if-none-match': headTag } });
    note('GetObject If-None-Match <current etag, quoted>', `status ${getInm.status} (AWS: 304)`);
    const getIm = await s3('GET', `/${bucket}/obj`, { headers: { 'if-match': staleQ } });
    note('GetObject If-Match <stale etag>', `status ${getIm.status} (AWS: 412)`);

    // --- races: N concurrent conditional writers, exactly one may win (several rounds)
    const N = 8;
    const ROUNDS = 5;
    const createStatuses = [];
    const casStatuses = [];
    let createBad = 0;
    let casBad = 0;
    const casOther = new Set();
    for (let round = 0; round < ROUNDS; round++) {
      const race = await Promise.all(
        Array.from({ length: N }, (_, i) =>
          s3('PUT', `/${bucket}/race-create-${round}`, { body: `w${i}`, headers: { 'if-none-match': '*' } }),
        ),
      );
      createStatuses.push(...race.map((r) => r.status));
      const winners = race.map((r, i) => (r.status === 200 ? `w${i}` : null)).filter(Boolean);
      const final = (await s3('GET', `/${bucket}/race-create-${round}`)).text;
      if (winners.length !== 1 || final !== winners[0]) createBad++;

      const base = await s3('PUT', `/${bucket}/race-cas-${round}`, { body: 'base' });
      const baseTag = form(base.headers.get('etag').replace(/"/g, ''));
      const cas = await Promise.all(
        Array.from({ length: N }, (_, i) =>
          s3('PUT', `/${bucket}/race-cas-${round}`, { body: `cas${i}`, headers: { 'if-match': baseTag } }),
        ),
      );
      casStatuses.push(...cas.map((r) => r.status));
      for (const r of cas) if (r.status !== 200 && r.status !== 412) casOther.add(`${r.status} ${xmlAll(r.text, 'Code')[0]}`);
      const casWinners = cas.map((r, i) => (r.status === 200 ? `cas${i}` : null)).filter(Boolean);
      const casFinal = (await s3('GET', `/${bucket}/race-cas-${round}`)).text;
      if (casWinners.length !== 1 || casFinal !== casWinners[0]) casBad++;
    }
    const hist = (xs) =>
      Object.entries(xs.reduce((m, x) => ({ ...m, [x]: (m[x] ?? 0) + 1 }), {}))
        .map(([k, v]) => `${k}x${v}`)
        .join(' ');
    check(
      `${ROUNDS}x${N} concurrent If-None-Match:* creates -> exactly 1 winner per round, its body stored`,
      createBad === 0,
      `statuses ${hist(createStatuses)}; bad rounds ${createBad}`,
    );
    check(
      `${ROUNDS}x${N} concurrent If-Match (same etag) writes -> exactly 1 winner per round, its body stored`,
      casBad === 0,
      `statuses ${hist(casStatuses)}; bad rounds ${casBad}` +
        (casOther.size ? `; losers other than 412 answered: ${[...casOther].join(', ')}` : ''),
    );

    // --- ListObjectsV2 ordering, one key per page
    // includes characters that SigV4 path encoding and XML escaping must get right
    const keys = ['b', 'a/2', 'a', 'a-', 'B', 'a/10', 'z', '0', 'é', 'a b', 'a+b', 'x~y', 'p%q', 'q&r', '_'];
    for (const k of keys) await s3('PUT', `/${bucket}/list/${k}`, { body: k });
    const seen = [];
    let token;
    for (let page = 0; page < 50; page++) {
      const query = { 'list-type': '2', 'max-keys': '1', prefix: 'list/' };
      if (token) query['continuation-token'] = token;
      const r = await s3('GET', `/${bucket}`, { query });
      if (r.status !== 200) throw new Error(`ListObjectsV2: ${r.status} ${r.text}`);
      const got = xmlAll(r.text, 'Key').map(unxml);
      if (got.length > 1) throw new Error(`MaxKeys=1 returned ${got.length} keys`);
      seen.push(...got);
      const trunc = xmlAll(r.text, 'IsTruncated')[0] === 'true';
      token = xmlAll(r.text, 'NextContinuationToken').map(unxml)[0];
      if (!trunc) break;
    }
    const expected = keys
      .map((k) => `list/${k}`)
      .sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    check(
      'ListObjectsV2 MaxKeys=1 pages through keys in UTF-8 byte order',
      JSON.stringify(seen) === JSON.stringify(expected),
      `got ${JSON.stringify(seen)}`,
    );
    const sa = await s3('GET', `/${bucket}`, {
      query: { 'list-type': '2', 'max-keys': '2', prefix: 'list/', 'start-after': 'list/a' },
    });
    const saKeys = xmlAll(sa.text, 'Key').map(unxml);
    const saWant = expected.filter((k) => k > 'list/a').slice(0, 2);
    check(
      'ListObjectsV2 StartAfter + MaxKeys=2',
      JSON.stringify(saKeys) === JSON.stringify(saWant),
      `got ${JSON.stringify(saKeys)}`,
    );

    // --- conditional DeleteObject
    const d = await s3('PUT', `/${bucket}/del`, { body: 'd' });
    const dTag = d.headers.get('etag').replace(/"/g, '');
    const delStale = await s3('DELETE', `/${bucket}/del`, { headers: { 'if-match': staleQ } });
    const stillThere = (await s3('HEAD', `/${bucket}/del`)).status === 200;
    note(
      'DeleteObject If-Match stale',
      `status ${delStale.status}, object ${stillThere ? 'kept' : 'DELETED'} ` +
        `(${delStale.status === 412 && stillThere ? 'conditional delete supported' : 'If-Match ignored on DELETE'})`,
    );
    if (stillThere) {
      const delCur = await s3('DELETE', `/${bucket}/del`, { headers: { 'if-match': dTag } });
      note('DeleteObject If-Match current', `status ${delCur.status}`);
    }
  } finally {
    // clean up: delete every key, then the bucket
    for (let i = 0; i < 20; i++) {
      const r = await s3('GET', `/${bucket}`, { query: { 'list-type': '2' } });
      const ks = xmlAll(r.text, 'Key').map(unxml);
      if (ks.length === 0) break;
      for (const k of ks) await s3('DELETE', `/${bucket}/${k}`);
    }
    await s3('DELETE', `/${bucket}`);
  }

  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(results, null, 2));
  } else {
    for (const r of results) {
      const tag = r.ok === null ? 'NOTE' : r.ok ? 'PASS' : 'FAIL';
      console.log(`${tag}  ${r.name}: ${r.detail}`);
    }
    const failed = results.filter((r) => r.ok === false).length;
    const passed = results.filter((r) => r.ok === true).length;
    console.log(`S3 conditional checks (${endpoint}): ${passed} passed, ${failed} failed`);
  }
  if (results.some((r) => r.ok === false)) process.exit(1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
