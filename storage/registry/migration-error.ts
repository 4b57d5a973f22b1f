// What an operator reads when a migration stops part way (a network error, a full disk, a throttled bucket): where
// it stopped, that the source is untouched (a migration only reads it), and that the same command resumes.
import { QspoolError } from '../../schemas/errors.ts';

export class MigrationInterruptedError extends QspoolError {
  constructor(namespace: string, copied: number, total: number, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      'migration_interrupted',
      503,
      `Migration interrupted in ${namespace} after ${copied} of ${total} documents: ${reason}. ` +
        'Nothing in the source was changed; run the same command again to resume where it stopped',
    );
    this.cause = cause;
  }
}
