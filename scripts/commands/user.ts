// `qspool user add NAME`: creates a user and prints a token for it.
import { UserService } from '../../server/services/users.ts';
import { openRuntime } from '../runtime.ts';

export async function runUserAdd(name: string, options: { admin?: boolean; json?: boolean }): Promise<void> {
  const runtime = await openRuntime({ LOG_LEVEL: 'warn' });
  const users = new UserService(runtime.storage);
  const user = await users.createUser(name, options.admin ? 'admin' : 'user');
  const token = await users.issueToken(name, 'cli');
  await runtime.storage.close();
  process.stdout.write(options.json ? `${JSON.stringify({ ...user, token })}\n` : `Created ${user.role} ${name}\nAPI token: ${token}\n`);
}
