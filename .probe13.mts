import { S3Client, GetObjectCommand } from '@aws-sdk/client-s3';
const c = new S3Client({ endpoint: 'http://127.0.0.1:7581', region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'qspooltestaccesskey', secretAccessKey: 'qspooltestsecretkey0123456789abcdefghij' }, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
const get = async () => { const o = await c.send(new GetObjectCommand({ Bucket: 'qspool-test', Key: 'probe/docs/x.json' })); await o.Body!.transformToString(); };
for (let i = 0; i < 20; i++) await get();
const c0 = process.cpuUsage(); const t = performance.now();
for (let i = 0; i < 200; i++) await get();
const u = process.cpuUsage(c0);
console.log('sdk: wall ms/req', ((performance.now() - t) / 200).toFixed(1), 'cpu ms/req', ((u.user + u.system) / 1000 / 200).toFixed(2));
