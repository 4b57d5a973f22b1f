// `qspool storage test` on a sqooler-layout MongoDB provider: sqooler's MongodbCore names every document by
// ObjectId(name), so the probe's scratch document must have a name that is one (24 hex digits). Run against an
// in-memory stand-in for the driver (./fake-mongo.ts): the names are refused before any call reaches a server.
import { expect } from 'chai';
import { SqoolerMongoFiles } from '../../storage/sqooler/mongodb.ts';
import { localPaths } from '../../storage/sqooler/paths.ts';
import { probeSqooler } from '../../storage/sqooler/probe.ts';
import { fakeMongoClient } from './fake-mongo.ts';

describe('qspool storage test on a sqooler-layout MongoDB provider', () => {
  it('makes its whole round trip in the qspool database', async () => {
    const steps = await probeSqooler(new SqoolerMongoFiles(fakeMongoClient()), localPaths);
    expect(steps.map((step) => [step.step, step.ok, step.error])).to.deep.equal(
      ['list backends', 'create', 'read', 'replace', 'list', 'move', 'delete'].map((step) => [step, true, undefined]),
    );
  });
});
