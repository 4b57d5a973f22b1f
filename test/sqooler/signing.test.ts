// qspool's spooler signing on a sqooler-layout provider as a sqooler spooler does (security.py sign_payload and
// upload_public_key at Alqor-UG/sqooler ebe718e), on a local folder and a Dropbox: its public JWK among the public
// keys, its config and results as `{header, payload, signature}`. The server verifies them (a tampered result is not
// served), and so does sqooler's own algorithm, run in Python: JWSDict.verify_signature re-dumps the parsed payload
// with json.dumps, which holds only because the documents are written as json.dumps writes them.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pythonJson } from '../../storage/sqooler/python-json.ts';
import { startDropboxApiServer } from '../dropbox-api-server/index.ts';
import { GOOD_JOB, eventually } from '../native-api/harness.ts';
import { postJson, request } from '../support/system.ts';
import { startSpoolingSystem, type SpoolingSystem } from './spooling-system.ts';

const BACKEND = 'lab1_singlequdit_simulator';

/** JWSDict.verify_signature with sqooler's JWSHeader model, on a stored document and a stored public JWK. */
const VERIFY = `
import base64, json, sys
from pydantic import BaseModel
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
class JWSHeader(BaseModel):
    alg: str = "EdDSA"
    kid: str
    typ: str = "JWS"
    version: str = "0.1"
doc = json.load(open(sys.argv[1]))
jwk = json.load(open(sys.argv[2]))
message = base64.urlsafe_b64encode(JWSHeader(**doc["header"]).model_dump_json().encode()) + b"." + base64.urlsafe_b64encode(json.dumps(doc["payload"]).encode())
Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(jwk["x"])).verify(base64.urlsafe_b64decode(doc["signature"]), message)
print("verified")
`;
const python = (args: string[], input?: string) => execFileSync('python3', args, { encoding: 'utf8', ...(input === undefined ? {} : { input }) });

/** Why sqooler's own check cannot run here (it needs pydantic 2 and cryptography in python3), or undefined. */
function sqoolerCheckMissing(): string | undefined {
  try {
    python(['-c', 'import pydantic, cryptography; assert pydantic.VERSION.startswith("2")']);
    return undefined;
  } catch {
    return 'python3 lacks pydantic 2 or cryptography';
  }
}
const SQOOLER_CHECK_MISSING = sqoolerCheckMissing();

describe('JSON as Python\'s json.dumps writes it', () => {
  it('reads back into the same text in Python', () => {
    const value = {
      shots: 50, angle: 0.5, tiny: 1.5e-5, tinier: -2.5e-10, edge: 0.0001, huge: 1e21, big: 1e16, neg: -0, text: 'é\u007f\u2028"\\\n\t😀',
      list: [1, 2.5, null, true, false, [], {}], nested: { 'kéy': [{ a: 'b' }] }, skipped: undefined,
    };
    const text = pythonJson(value);
    expect(python(['-c', 'import json, sys; sys.stdout.write(json.dumps(json.loads(sys.stdin.read())))'], text)).to.equal(text);
    expect(JSON.parse(text)).to.deep.equal(JSON.parse(JSON.stringify(value)));
  });
});

/** A sqooler-layout store: documents by path from its root, without `.json` (a `*` stands for a name's varying part). */
interface Lab {
  login: Record<string, unknown>;
  text(path: string): Promise<string>;
  write(path: string, text: string): Promise<void>;
  at: { config: string; key: (kid: string) => string; result: (id: string) => string };
  stop(): Promise<void>;
}

async function localLab(): Promise<Lab> {
  const dir = await mkdtemp(join(tmpdir(), 'qspool-sqooler-signing-'));
  const file = (path: string) => join(dir, `${path}.json`);
  return {
    login: { base_path: dir },
    text: (path) => readFile(file(path), 'utf8'),
    write: (path, text) => writeFile(file(path), text),
    at: { config: 'backends/configs/singlequdit', key: (kid) => `backends/public_keys/${kid}`, result: (id) => `results/singlequdit/${id}` },
    stop: () => rm(dir, { recursive: true, force: true }),
  };
}

async function dropboxLab(): Promise<Lab> {
  const server = await startDropboxApiServer();
  const resolve = (path: string) => {
    const [before, after = ''] = path.split('*') as [string, string?];
    const found = server.store.paths().find((p) => p.startsWith(`/${before}`) && p.endsWith(`${after}.json`));
    if (!found) throw new Error(`no ${path} on the Dropbox`);
    return found;
  };
  return {
    login: { app_key: server.tokens.clientId, app_secret: server.tokens.clientSecret, refresh_token: server.tokens.refreshToken, api_base_url: server.url },
    text: async (path) => server.store.fileContent(resolve(path))!.toString('utf8'),
    write: async (path, text) => void server.store.putFile(resolve(path), text),
    at: {
      config: 'Backend_files/Config/singlequdit/config',
      key: (kid) => `Backend_files/public_keys/${kid}`,
      result: (id) => `Backend_files/Result/singlequdit/ada/result-*-singlequdit-ada-${id}`,
    },
    stop: () => server.close(),
  };
}

for (const [type, makeLab] of [['local', localLab], ['dropbox', dropboxLab]] as const) {
  describe(`qspool's spooler signing on a sqooler-layout ${type} provider`, function () {
    this.timeout(60_000);
    let system: SpoolingSystem;
    let lab: Lab;
    let scratch: string;

    before(async () => {
      lab = await makeLab();
      scratch = await mkdtemp(join(tmpdir(), 'qspool-sqooler-verify-'));
      system = await startSpoolingSystem(type, lab.login, 'all');
    });
    after(async () => {
      await system.stop();
      await lab.stop();
      await rm(scratch, { recursive: true, force: true });
    });

    const read = async (path: string) => JSON.parse(await lab.text(path)) as Record<string, unknown>;
    const v2 = (call: string, query = '') => `${system.h.url}/api/v2/${BACKEND}/${call}${query}`;
    const kid = async () => ((await read(lab.at.config)).header as { kid: string }).kid;
    /** sqooler's check, in Python, on the stored bytes of a document and of the public key. */
    /** true when sqooler's check accepts the document; also true, with the reason printed, where it cannot run. */
    const sqoolerVerifies = async (path: string) => {
      if (SQOOLER_CHECK_MISSING) {
        console.log(`      sqooler's own signature check skipped: ${SQOOLER_CHECK_MISSING}`);
        return true;
      }
      const [document, key] = [join(scratch, 'document.json'), join(scratch, 'key.json')];
      await writeFile(document, await lab.text(path));
      await writeFile(key, await lab.text(lab.at.key(await kid())));
      return python(['-c', VERIFY, document, key]) === 'verified\n';
    };

    it('publishes its public JWK and a signed config, which the server serves and sqooler\'s check accepts', async () => {
      const config = await read(lab.at.config);
      expect(Object.keys(config)).to.deep.equal(['header', 'payload', 'signature']);
      const { header, payload } = config as { header: Record<string, unknown>; payload: Record<string, unknown> };
      expect(header).to.deep.equal({ alg: 'EdDSA', kid: await kid(), typ: 'JWS', version: '0.1' });
      expect(payload).to.include({ display_name: 'singlequdit', sign: true, kid: await kid() });
      const jwk = await read(lab.at.key(await kid()));
      expect(Object.keys(jwk)).to.deep.equal(['x', 'key_ops', 'kid', 'd', 'kty', 'alg', 'crv']);
      expect(jwk).to.include({ key_ops: 'verify', kid: await kid(), d: null, kty: 'OKP', alg: 'EdDSA', crv: 'Ed25519' });
      expect(await sqoolerVerifies(lab.at.config)).to.equal(true);
      expect((await request(v2('get_config'))).body).to.include({ display_name: 'singlequdit' });
    });

    it('signs each result: served as "finished", accepted by sqooler\'s check, and refused once tampered with', async () => {
      const id = ((await postJson(v2('post_job'), { job: JSON.stringify(GOOD_JOB), token: system.ada })).body as { job_id: string }).job_id;
      await eventually(async () => ((await request(v2('get_job_status', `?job_id=${id}&token=${system.ada}`))).body as { status: string }).status === 'DONE' || undefined);
      const result = await request(v2('get_job_result', `?job_id=${id}&token=${system.ada}`));
      expect(result.body).to.include({ status: 'finished', job_id: id, success: true });
      const stored = await read(lab.at.result(id));
      expect(stored).to.have.nested.property('header.kid', await kid());
      expect(String((stored.payload as { job_id: string }).job_id).endsWith(id)).to.equal(true);
      expect(await sqoolerVerifies(lab.at.result(id))).to.equal(true);
      await lab.write(lab.at.result(id), (await lab.text(lab.at.result(id))).replace('"success": true', '"success": false'));
      expect((await request(v2('get_job_result', `?job_id=${id}&token=${system.ada}`))).status).to.equal(406);
    });
  });
}
