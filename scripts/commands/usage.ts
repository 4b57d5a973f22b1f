// A command called wrongly (an option missing or malformed): a 4xx QspoolError, so cli.ts exits 2 for it, as for the
// usage errors commander finds itself.
import { QspoolError } from '../../schemas/errors.ts';

export class UsageError extends QspoolError {
  constructor(message: string) {
    super('usage', 400, message);
  }
}
