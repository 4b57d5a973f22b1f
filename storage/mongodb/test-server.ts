// Test support: finds a MongoDB server for the provider's integration tests without ever downloading one.
// MONGODB_URI wins; otherwise a mongod binary already on this machine (MONGOMS_SYSTEM_BINARY, PATH, or
// mongodb-memory-server's cache) is started with mongodb-memory-server. With neither, it says why in one line.
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { DryMongoBinary, MongoMemoryServer } from 'mongodb-memory-server-core';

export type TestServer = { uri: string; stop(): Promise<void> } | { skip: string };

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function onPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && (await isExecutable(join(dir, name)))) return join(dir, name);
  }
  return undefined;
}

/** A mongod binary that is already here; never starts a download (locateBinary only looks). */
async function localMongod(): Promise<string | undefined> {
  const system = process.env.MONGOMS_SYSTEM_BINARY;
  if (system) {
    // Set on purpose, so a wrong value must fail loudly rather than skip the suite.
    if (!(await isExecutable(system))) throw new Error(`MONGOMS_SYSTEM_BINARY=${system} is not an executable file`);
    return system;
  }
  return (await onPath('mongod')) ?? (await DryMongoBinary.locateBinary(DryMongoBinary.getEnsuredOptions()));
}

export async function findTestServer(): Promise<TestServer> {
  const uri = process.env.MONGODB_URI;
  if (uri) return { uri, stop: async () => undefined };
  const binary = await localMongod();
  if (!binary) {
    return {
      skip:
        'MongoDB suite skipped: no MONGODB_URI and no mongod binary (MONGOMS_SYSTEM_BINARY unset, none on PATH ' +
        'or in the mongodb-memory-server cache; mongodb-memory-server cannot download one without internet)',
    };
  }
  // wiredTiger because the provider writes with journal: true, which older mongods' in-memory test engine refuses.
  const server = await MongoMemoryServer.create({
    binary: { systemBinary: binary },
    instance: { storageEngine: 'wiredTiger' },
  });
  return { uri: server.getUri(), stop: async () => void (await server.stop({ doCleanup: true, force: true })) };
}
