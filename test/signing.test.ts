// Signed results and configs: a spooler with a key signs its published config and every result (detached JWS,
// EdDSA, kid); the public key sits under keys/; the server endpoint and `qspool verify` say whether a result is
// the one the backend signed. qlued clients keep receiving the plain result.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Result } from '../schemas/result.ts';
import { runVerify } from '../scripts/commands/verify.ts';
import { canonicalJson, signDetached, verifyDetached } from '../spooler/signing/jws.ts';
import { defaultKeyFile, Signer } from '../spooler/signing/keys.ts';
import { CONFIG_SIGNATURES } from '../storage/namespaces.ts';
import { verifyBackendConfig, verifyJobResult } from '../spooler/signing/verify.ts';
import { JobLifecycle } from '../storage/lifecycle.ts';
import { ns, type JobRecord } from '../storage/records.ts';
import { eventually, postJson, request, startSystem, type TestSystem } from './support/system.ts';

const JOBS: Record<string, unknown> = {
  singlequdit: { experiment_0: { instructions: [['rlx', [0], [1.2]], ['measure', [0], []]], shots: 20, num_wires: 1, wire_order: 'interleaved', seed: 3 } },
  qubit: { experiment_0: { instructions: 'X(90)', shots: 20, num_wires: 1, wire_order: 'sequential' } },
};

describe('result signing', function () {
  this.timeout(60_000);

  describe('detached JWS (EdDSA)', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const signer = new Signer('qubit', privateKey);
    const document = { b: [1, 2.5, 'x'], a: { d: null, c: true } };

    it('signs a compact JWS with an empty payload part and a protected header naming EdDSA and the kid', () => {
      const [header, payload, signature] = signer.sign(document).split('.');
      expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).to.deep.equal({ alg: 'EdDSA', kid: signer.kid });
      expect(payload).to.equal('');
      expect(Buffer.from(signature!, 'base64url')).to.have.length(64);
      expect(signer.kid).to.match(/^qubit-[A-Za-z0-9_-]{43}$/);
    });

    it('verifies the document in any key order, and nothing else', () => {
      const jws = signer.sign(document);
      expect(verifyDetached(jws, { a: { c: true, d: null }, b: [1, 2.5, 'x'] }, signer.jwk)).to.equal(true);
      expect(canonicalJson(document)).to.equal('{"a":{"c":true,"d":null},"b":[1,2.5,"x"]}');
      expect(verifyDetached(jws, { ...document, b: [1, 2.5, 'y'] }, signer.jwk)).to.equal(false);
      const other = new Signer('qubit', generateKeyPairSync('ed25519').privateKey);
      expect(verifyDetached(jws, document, other.jwk)).to.equal(false);
      const [, , signature] = signer.sign(document).split('.');
      const none = Buffer.from(JSON.stringify({ alg: 'none', kid: signer.kid })).toString('base64url');
      expect(verifyDetached(`${none}..${signature}`, document, signer.jwk)).to.equal(false);
      expect(verifyDetached(signDetached(document, privateKey, signer.kid), document, signer.jwk)).to.equal(true);
    });
  });

  describe('keys', () => {
    it('takes the private key as PEM text or file, and refuses keys that are not Ed25519', () => {
      const { privateKey } = generateKeyPairSync('ed25519');
      const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
      expect(Signer.load('fermions', pem, '/nonexistent').kid).to.equal(new Signer('fermions', privateKey).kid);
      const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
      expect(() => Signer.load('fermions', rsa, '/nonexistent')).to.throw(/the signing key of fermions is rsa, not Ed25519/);
      // A named file is never made up: a typo would sign results under a key nobody announced.
      const missing = join(tmpdir(), `qspool-no-such-key-${process.pid}.pem`);
      expect(() => Signer.load('fermions', missing, '/nonexistent')).to.throw(/^QSPOOL_SIGNING_KEY_FERMIONS is neither PEM text nor the path of a PEM file \(no such file\)/);
      expect(existsSync(missing)).to.equal(false);
      expect(() => Signer.load('fermions', 'MC4CAQAwBQYDK2VwBCIEIsecret', '/nonexistent')).to.throw(Error).that.satisfies((error: Error) => !error.message.includes('secret'));
    });
  });

  describe('spoolers, the server endpoint and qspool verify', () => {
    let system: TestSystem;
    let lifecycle: JobLifecycle;
    const saved = { ...process.env };

    before(async () => {
      system = await startSystem({ QSPOOL_BACKENDS: 'singlequdit,qubit', QSPOOL_SIGN: 'singlequdit' });
      lifecycle = new JobLifecycle(system.storage);
      Object.assign(process.env, { QSPOOL_DATA_DIR: system.config.QSPOOL_DATA_DIR, QSPOOL_FSYNC: 'false' });
    });
    after(async () => {
      for (const key of ['QSPOOL_DATA_DIR', 'QSPOOL_FSYNC']) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
      await system.stop();
    });

    async function finishedJob(backend = 'singlequdit', token = system.token): Promise<JobRecord> {
      const posted = await postJson(`${system.url}/api/v2/${backend}/post_job`, { job: JSON.stringify(JOBS[backend]), token });
      const id = (posted.body as { job_id: string }).job_id;
      return eventually(async () => {
        const found = await lifecycle.find(backend, id);
        return found?.value.state === 'DONE' ? found.value : undefined;
      });
    }
    const signatureOf = (id: string, token = system.token) =>
      request(`${system.url}/api/v1/jobs/${id}/signature`, { headers: { Authorization: `Bearer ${token}` } });
    /** What `qspool verify` prints and its exit code, run in this process. */
    async function verify(target: string | undefined, options: { config?: string } = {}): Promise<{ code: number; out: string }> {
      const [stdout, stderr] = [process.stdout.write, process.stderr.write];
      let out = '';
      process.stdout.write = process.stderr.write = ((chunk: string) => ((out += chunk), true)) as typeof process.stdout.write;
      process.exitCode = undefined;
      try {
        await runVerify(target, options);
      } finally {
        [process.stdout.write, process.stderr.write] = [stdout, stderr];
      }
      const code = Number(process.exitCode ?? 0);
      process.exitCode = undefined;
      return { code, out };
    }

    it('generates the key on first start into the data directory, readable by its owner only, and publishes the JWK', async () => {
      const file = defaultKeyFile(system.config.QSPOOL_DATA_DIR, 'singlequdit');
      expect(statSync(file).mode & 0o777).to.equal(0o600);
      const signer = Signer.load('singlequdit', file, '/nonexistent');
      expect((await system.storage.get(ns.keys, signer.kid))!.value).to.deep.equal({ ...signer.jwk });
      expect(signer.jwk).to.not.have.property('d');
      expect(readFileSync(file, 'utf8')).to.match(/^-----BEGIN PRIVATE KEY-----/);
    });

    it('signs the published config; the signature verifies and stops verifying once the config changes', async () => {
      const config = (await system.storage.get<Record<string, unknown>>(ns.configs, 'singlequdit'))!.value;
      expect(config).to.include({ sign: true });
      expect(await verifyBackendConfig(system.storage, 'singlequdit', undefined)).to.include({ signed: true, valid: true, kid: config.kid });
      expect(await verify(undefined, { config: 'singlequdit' })).to.include({ code: 0 });
      await system.storage.put(ns.configs, 'singlequdit', { ...config, max_shots: 10 ** 9 });
      try {
        expect(await verifyBackendConfig(system.storage, 'singlequdit', undefined)).to.include({ valid: false });
      } finally {
        await system.storage.put(ns.configs, 'singlequdit', config);
      }
      expect(await verifyBackendConfig(system.storage, 'qubit', undefined)).to.include({ signed: false, valid: false });
      expect((await system.storage.get(CONFIG_SIGNATURES, 'qubit'))).to.equal(undefined);
    });

    it('passes an untampered result; qlued clients read it plain, without the signature', async () => {
      const record = await finishedJob();
      expect(record.meta!.signature).to.be.a('string');
      const answer = await signatureOf(record.id);
      expect(answer.status, answer.text).to.equal(200);
      expect(answer.body).to.include({ job_id: record.id, backend: 'singlequdit', status: 'DONE', signed: true, valid: true, alg: 'EdDSA', reason: null });
      const plain = await request(`${system.url}/api/v2/singlequdit/get_job_result?job_id=${record.id}&token=${system.token}`);
      expect(plain.body).to.deep.equal(await lifecycle.getResult(record));
      expect(plain.text).to.not.match(/signature|EdDSA/);
      expect(await verify(record.id)).to.deep.include({ code: 0 });
    });

    it('fails a tampered result, and one signed with another key', async () => {
      const record = await finishedJob();
      const result = (await lifecycle.getResult(record)) as Result;
      const tampered = structuredClone(result);
      tampered.results[0]!.data.memory[0] = tampered.results[0]!.data.memory[0] === '1' ? '0' : '1';
      await system.storage.put(ns.results('singlequdit'), record.resultKey!, tampered);
      const report = (await signatureOf(record.id)).body as { valid: boolean; reason: string };
      expect(report).to.include({ valid: false });
      expect(report.reason).to.match(/does not match the document/);
      const failed = await verify(record.id);
      expect(failed.code).to.equal(1);
      expect(failed.out).to.match(/signature NOT valid: the signature does not match the document/);

      // The forger re-signs the altered result with their own key, under the backend's kid or under their own.
      const forger = new Signer('singlequdit', generateKeyPairSync('ed25519').privateKey);
      const stored = (await lifecycle.find('singlequdit', record.id))!;
      const kid = JSON.parse(Buffer.from((record.meta!.signature as string).split('.')[0]!, 'base64url').toString()).kid as string;
      for (const jws of [signDetached(tampered, generateKeyPairSync('ed25519').privateKey, kid), forger.sign(tampered)]) {
        await system.storage.put(ns.finished('singlequdit'), record.id, { ...stored.value, meta: { ...stored.value.meta, signature: jws } });
        expect(await verifyJobResult(lifecycle, (await lifecycle.find('singlequdit', record.id))!.value, undefined)).to.include({ valid: false });
      }
      expect((await verifyJobResult(lifecycle, (await lifecycle.find('singlequdit', record.id))!.value, undefined)).reason).to.match(/not published under keys/);
    });

    it('with trusted keys named, fails a result re-signed by a key a store writer published', async () => {
      const record = await finishedJob();
      const result = (await lifecycle.getResult(record)) as Result;
      const genuine = record.meta!.signature as string;
      const kid = JSON.parse(Buffer.from(genuine.split('.')[0]!, 'base64url').toString()).kid as string;
      const tampered = structuredClone(result);
      tampered.results[0]!.data.memory[0] = tampered.results[0]!.data.memory[0] === '1' ? '0' : '1';
      // The forger publishes a key of their own, under the id its thumbprint gives, and re-signs the altered result.
      const forger = new Signer('singlequdit', generateKeyPairSync('ed25519').privateKey);
      await system.storage.put(ns.keys, forger.kid, forger.jwk);
      await system.storage.put(ns.results('singlequdit'), record.resultKey!, tampered);
      const stored = (await lifecycle.find('singlequdit', record.id))!;
      await system.storage.put(ns.finished('singlequdit'), record.id, { ...stored.value, meta: { ...stored.value.meta, signature: forger.sign(tampered) } });
      const forged = (await lifecycle.find('singlequdit', record.id))!.value;
      expect(await verifyJobResult(lifecycle, forged, undefined)).to.include({ valid: true, kid: forger.kid });
      const pinned = await verifyJobResult(lifecycle, forged, new Set([kid]));
      expect(pinned).to.include({ valid: false, kid: forger.kid });
      expect(pinned.reason).to.equal(`the signing key ${forger.kid} is not one of the trusted keys (QSPOOL_TRUSTED_SIGNING_KEYS)`);
      process.env.QSPOOL_TRUSTED_SIGNING_KEYS = kid;
      try {
        const refused = await verify(record.id);
        expect(refused.code).to.equal(1);
        expect(refused.out).to.include('is not one of the trusted keys');
        expect(await verify(undefined, { config: 'singlequdit' })).to.include({ code: 0 });
        // The genuine signature over the genuine result still verifies against the named key.
        await system.storage.put(ns.results('singlequdit'), record.resultKey!, result);
        await system.storage.put(ns.finished('singlequdit'), record.id, { ...stored.value, meta: { ...stored.value.meta, signature: genuine } });
        expect(await verify(record.id)).to.include({ code: 0 });
      } finally {
        delete process.env.QSPOOL_TRUSTED_SIGNING_KEYS;
      }
    });

    it('says so for unsigned backends and unfinished jobs, and answers 404/401 like the native API', async () => {
      const qubit = await finishedJob('qubit');
      expect((await signatureOf(qubit.id)).body).to.include({ signed: false, valid: false, reason: 'the result was published without a signature' });
      expect(await verify(qubit.id)).to.include({ code: 1 });
      const mallory = await system.user('mallory');
      const record = await finishedJob();
      expect((await signatureOf(record.id, mallory)).status).to.equal(404);
      expect((await signatureOf('f'.repeat(24))).status).to.equal(404);
      expect((await signatureOf('../x')).status).to.equal(404);
      expect((await request(`${system.url}/api/v1/jobs/${record.id}/signature`)).status).to.equal(401);
      expect(await verify('f'.repeat(24))).to.include({ code: 1 });
      expect(await verify('not-an-id')).to.deep.equal({ code: 2, out: 'usage: qspool verify JOB_ID (24 lowercase hex) | qspool verify --config BACKEND\n' });
      expect(await verify(undefined)).to.include({ code: 2 });
    });

    it('qspool verify exits 0 from the real binary for a signed result', async () => {
      const record = await finishedJob();
      const bin = new URL('../scripts/qspool.mjs', import.meta.url).pathname;
      const { stdout } = await promisify(execFile)(process.execPath, [bin, 'verify', record.id], { env: { ...process.env } });
      expect(stdout).to.match(new RegExp(`^job ${record.id} \\(singlequdit, DONE\\): signature valid`));
    });
  });

  describe('a server that names the keys it trusts', () => {
    let system: TestSystem;
    const other = new Signer('singlequdit', generateKeyPairSync('ed25519').privateKey).kid;
    before(async () => {
      system = await startSystem({ QSPOOL_BACKENDS: 'singlequdit', QSPOOL_SIGN: 'singlequdit', QSPOOL_TRUSTED_SIGNING_KEYS: other });
    });
    after(() => system.stop());

    it('reports a result signed by any other key as not valid, naming the key', async () => {
      const posted = await postJson(`${system.url}/api/v2/singlequdit/post_job`, { job: JSON.stringify(JOBS.singlequdit), token: system.token });
      const id = (posted.body as { job_id: string }).job_id;
      const lifecycle = new JobLifecycle(system.storage);
      const record = await eventually(async () => ((await lifecycle.find('singlequdit', id))?.value.state === 'DONE' ? true : undefined));
      expect(record).to.equal(true);
      const answer = await request(`${system.url}/api/v1/jobs/${id}/signature`, { headers: { Authorization: `Bearer ${system.token}` } });
      expect(answer.status, answer.text).to.equal(200);
      const report = answer.body as { signed: boolean; valid: boolean; kid: string; reason: string };
      expect(report).to.include({ signed: true, valid: false });
      expect(report.kid).to.match(/^singlequdit-/).and.not.equal(other);
      expect(report.reason).to.equal(`the signing key ${report.kid} is not one of the trusted keys (QSPOOL_TRUSTED_SIGNING_KEYS)`);
    });
  });
});
