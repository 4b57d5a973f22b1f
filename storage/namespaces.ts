// Where the server's and the spoolers' own documents live on a store, beside the jobs' (records.ts `ns`): named here
// so the layers that write them and a migration that copies them (registry/migrated-namespaces.ts) share one name,
// and storage depends on neither layer.

/** Config signatures: `signatures/configs/<backend>` holds `{kid, jws}`. */
export const CONFIG_SIGNATURES = 'signatures/configs';
/** Access tokens logged out of before they expired. */
export const ENDED_SESSIONS_NS = 'ended-sessions';
/**
 * Accounts being deleted, by username, with the account id of the deletion's target: the server that dispatches
 * notifications finishes each deletion by itself (server/services/deletion-resumer.ts).
 */
export const DELETIONS_NS = 'deletions';
/** Per-user queue quota counts (server/services/queue-quota.ts). */
export const QUOTA_NAMESPACE = 'limits/quota';
/** A user's idempotency records, one per key. */
export const idempotencyNamespace = (username: string) => `idempotency/${username}`;
/** The notification dispatcher's lease and its cursors over each outbox. */
export const DISPATCH_NS = 'notify/dispatch';
/** Notifications waiting to be delivered. */
export const PENDING_NS = 'notify/pending';
/** A user's deleted webhooks whose delivery logs are still to be swept. */
export const retiredNamespace = (owner: string) => `notify/retired/${owner}`;
/** One receiver's delivery log (`mail` by username, `hook` by webhook id). */
export const logNamespace = (receiver: { kind: string; name: string }) => `notify/log/${receiver.kind}/${receiver.name}`;
