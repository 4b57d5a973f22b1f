// One query parameter as qlued reads it: Django's QueryDict gives the last of repeated values
// (`?job_id=a&job_id=b` is job b), so a repeated parameter is no error.
import type { Context } from 'koa';

export function lastQueryValue(ctx: Context, key: string): string | undefined {
  const value = ctx.query[key];
  return Array.isArray(value) ? value[value.length - 1] : value;
}
