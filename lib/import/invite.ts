import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import type { Locale } from '@/db/schema';
import { deliverQueuedEmails } from '@/lib/email/send';
import { formatPersonName } from '@/lib/i18n/person-name';
import { INVITATION_TTL_DAYS, invitationEmailProps } from '@/lib/invitations';
import { hashSecret } from '@/lib/secret-hash';
import { arr, bools, insertQueuedEmails, propsSerialiser, type QueuedEmail } from './bulk-sql';

/*
 * Invitations of the members an import created (SPEC 3.5: "sent in batches by the email worker, not
 * one job per row, and never twice for the same invitation"), issued by the `invitation.import` job
 * once the apply has finished (completed, cancelled or failed: what was applied stays, and its
 * people are invited).
 *
 * Why after the apply and not in it: a token, an email and an `invitation.send` event are three rows
 * and ≈ 16 index entries per new user, a third of the apply's writes; here they are written while
 * the imported people can already be seen, and the apply's batches stay small.
 *
 * The work is found, not remembered: the import's `member.create` audit events (keyset over
 * audit_events_import_idx) whose member is still invited and has no invitation yet. So the job can
 * run twice, late, or after a crash, and each member gets exactly one invitation; a member the admin
 * invited by hand meanwhile, deactivated or removed is left alone. Each chunk is one transaction:
 * tokens as issueInvitation makes them (7 days by the database clock, created by the uploader), and,
 * when the org of the row that created the member has email notifications on, the `invitation`
 * email (key `invitation-<token id>`) and `invitation.send` (with the import's id); otherwise the
 * token is stored unsent ("not sent" in the invitation console, as after addUser). The emails are
 * rung after each commit. imports.invitations_issued_at marks the end; the worker's sweep rings
 * finished imports without it.
 */

/** Members per transaction. */
export const INVITE_CHUNK = 2_000;

/** Rows applied from which the statistics are refreshed before issuing (see issueImportInvitations). */
const ANALYZE_AFTER_ROWS = 1_000;

type Pending = {
  event_id: string;
  org_id_path: string | null;
  member_id: string;
  user_id: string;
  email: string;
  first_name: string;
  last_name: string;
  locale: Locale | null;
};

export interface IssueImportInvitationsOptions {
  chunk?: number;
  /** Aborted when the worker stops: returns between chunks (the sweep rings the job again). */
  signal?: AbortSignal;
  log?: (line: string) => void;
}

/** Issues the invitations of import `importId`'s created members; returns how many it issued ('stopped' when aborted). */
export async function issueImportInvitations(db: Db, importId: string, options: IssueImportInvitationsOptions = {}): Promise<number | 'stopped'> {
  const chunk = options.chunk ?? INVITE_CHUNK;
  const [imp] = await db.execute<{ tenant_id: string; uploaded_by_user_id: string | null; status: string; issued: boolean; processed_rows: number }>(sql`
    select tenant_id, uploaded_by_user_id, status, invitations_issued_at is not null as issued, processed_rows
    from imports where id = ${importId}`);
  if (!imp || imp.issued || !['completed', 'cancelled', 'failed'].includes(imp.status)) return 0;

  let issued = 0;
  if (imp.processed_rows > 0) {
    const [tenant] = await db.execute<{ name: string; default_locale: Locale }>(sql`select name, default_locale from tenants where id = ${imp.tenant_id}`);
    if (!tenant) return 0;
    const [uploader] = imp.uploaded_by_user_id
      ? await db.execute<{ id: string; email: string; first_name: string; last_name: string }>(sql`
          select id, email, first_name, last_name from users where id = ${imp.uploaded_by_user_id}`)
      : [];
    // As addUser names the inviter: in the recipient's language, the email when they have no name;
    // nobody (the tenant signs) when the uploader's account is gone.
    const inviter = (locale: Locale) =>
      uploader ? formatPersonName({ firstName: uploader.first_name, lastName: uploader.last_name }, locale) || uploader.email : '';
    const notifying = new Set(
      (await db.execute<{ id_path: string }>(sql`select id_path from organizations where tenant_id = ${imp.tenant_id} and email_notifications`)).map((o) => o.id_path),
    );
    if (imp.processed_rows >= ANALYZE_AFTER_ROWS) {
      // The tokens' foreign keys check each member and user row by row, and the waiting members are
      // looked up by id: planned from statistics taken while the tenant was small, each would read
      // every member or user the import just created (quadratic). The apply does not need them (its
      // reference checks go through primary keys whatever the statistics say).
      await db.execute(sql`analyze users, tenant_members, user_tokens`);
    }
    const serialise = propsSerialiser('invitation');
    let after = '0';
    for (;;) {
      if (options.signal?.aborted) return 'stopped';
      const result = await db.transaction(async (tx) => {
        // The next events first (an index range: import_id, id), then their members: one query
        // joining both was planned as a scan of every event and member of the import per chunk.
        const events = await tx.execute<{ event_id: string; member_id: string; org_id_path: string | null }>(sql`
          select id::text as event_id, target_id as member_id, org_id_paths[1] as org_id_path
          from audit_events
          where import_id = ${importId} and id > ${after}::bigint and action = 'member.create'
          order by id
          limit ${chunk}`);
        if (events.length === 0) return null;
        const waiting = await tx.execute<Omit<Pending, 'event_id' | 'org_id_path'>>(sql`
          select m.id as member_id, m.user_id, u.email, u.first_name, u.last_name, u.locale
          from tenant_members m
          join users u on u.id = m.user_id
          where m.id = any(${arr(events.map((e) => e.member_id))}::uuid[]) and m.tenant_id = ${imp.tenant_id} and m.status = 'invited'
            and not exists (select 1 from user_tokens t where t.member_id = m.id and t.kind = 'invitation')
          for no key update of m`);
        const byMember = new Map(waiting.map((w) => [w.member_id, w]));
        const pending: Pending[] = [];
        for (const e of events) {
          const member = byMember.get(e.member_id);
          if (member) pending.push({ ...member, event_id: e.event_id, org_id_path: e.org_id_path });
        }
        const last = events.at(-1)!.event_id;
        if (pending.length === 0) return { last, count: 0, ids: [] };
        const [clock] = await tx.execute<{ expires_at: string }>(sql`select to_json(now() + make_interval(days => ${INVITATION_TTL_DAYS}))#>>'{}' as expires_at`);
        const expiresAt = new Date(clock!.expires_at);
        const secrets = randomBytes(32 * pending.length);
        const tokens: { id: string; hash: string; userId: string; memberId: string; sent: boolean }[] = [];
        const messages: QueuedEmail[] = [];
        const audits: { memberId: string; email: string; orgIdPath: string; after: string }[] = [];
        pending.forEach((p, i) => {
          const raw = secrets.subarray(i * 32, i * 32 + 32).toString('base64url');
          const sent = p.org_id_path !== null && notifying.has(p.org_id_path);
          const token = { id: randomUUID(), hash: hashSecret(raw), userId: p.user_id, memberId: p.member_id, sent };
          tokens.push(token);
          if (!sent) return;
          const locale: Locale = p.locale ?? tenant.default_locale;
          const props = invitationEmailProps({
            tenantName: tenant.name,
            invitedBy: { userId: uploader?.id ?? null, label: uploader?.email ?? '', name: inviter(locale) },
            recipient: { firstName: p.first_name, lastName: p.last_name, locale: p.locale },
            locale,
            rawToken: raw,
            expiresAt,
          });
          messages.push({ id: randomUUID(), to: p.email, locale, props: serialise(props), idempotencyKey: `invitation-${token.id}` });
          audits.push({ memberId: p.member_id, email: p.email, orgIdPath: p.org_id_path!, after: JSON.stringify({ invitationId: token.id, expiresAt: expiresAt.toISOString() }) });
        });

        await tx.execute(sql`
          insert into user_tokens (id, kind, token_hash, user_id, tenant_id, member_id, created_by_user_id, expires_at, email_sent_at)
          select id, 'invitation', token_hash, user_id, ${imp.tenant_id}::uuid, member_id, ${uploader?.id ?? null}::uuid,
                 now() + make_interval(days => ${INVITATION_TTL_DAYS}), case when sent then now() end
          from unnest(${arr(tokens.map((t) => t.id))}::uuid[], ${arr(tokens.map((t) => t.hash))}::text[], ${arr(tokens.map((t) => t.userId))}::uuid[],
                      ${arr(tokens.map((t) => t.memberId))}::uuid[], ${bools(tokens.map((t) => t.sent))}) as t(id, token_hash, user_id, member_id, sent)`);
        const ids = await insertQueuedEmails(tx, imp.tenant_id, 'invitation', messages);
        if (messages.length > 0) {
          await tx.execute(sql`
            insert into audit_events (tenant_id, actor_user_id, actor_label, action, target_type, target_id, target_label, org_id_paths, after, import_id)
            select ${imp.tenant_id}::uuid, ${uploader?.id ?? null}::uuid, ${uploader?.email ?? ''}, 'invitation.send', 'member', member_id, email,
                   array[org_id_path], after::jsonb, ${importId}::uuid
            from unnest(${arr(audits.map((a) => a.memberId))}::text[], ${arr(audits.map((a) => a.email))}::text[],
                        ${arr(audits.map((a) => a.orgIdPath))}::text[], ${arr(audits.map((a) => a.after))}::text[])
                 with ordinality as t(member_id, email, org_id_path, after, n)
            order by n`);
        }
        return { last, count: pending.length, ids };
      });
      if (!result) break;
      after = result.last;
      issued += result.count;
      // Emails are rung after their commit; a crash before this leaves them to the email sweep.
      await deliverQueuedEmails(result.ids).catch((err: unknown) => options.log?.(`invitations of import ${importId} left to the email sweep: ${(err as Error).message}`));
    }
  }
  await db.execute(sql`update imports set invitations_issued_at = now() where id = ${importId} and invitations_issued_at is null`);
  if (issued > 0) options.log?.(`issued ${issued} invitation(s) of import ${importId}`);
  return issued;
}

/** Finished imports whose invitations are not marked issued (a stopped worker, a Redis that lost the job); one with nothing applied is only marked. */
export async function importsAwaitingInvitations(db: Db): Promise<string[]> {
  const rows = await db.execute<{ id: string }>(sql`
    select id from imports
    where status in ('completed', 'cancelled', 'failed') and invitations_issued_at is null`);
  return rows.map((r) => r.id);
}
