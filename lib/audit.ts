import type { Db } from '@/db/client';
import { auditEvents } from '@/db/schema';

export interface AuditEntry {
  tenantId: string | null;
  actor: { userId: string | null; label: string };
  action: AuditAction;
  target: { type: string; id?: string | null; label?: string };
  /** idPaths of the orgs concerned, so org admins see events inside their subtree. */
  orgIdPaths?: string[];
  before?: unknown;
  after?: unknown;
  importId?: string | null;
}

/** Records one change. Call it inside the transaction that makes the change. */
export async function recordAudit(db: Db, entry: AuditEntry): Promise<void> {
  await db.insert(auditEvents).values({
    tenantId: entry.tenantId,
    actorUserId: entry.actor.userId,
    actorLabel: entry.actor.label,
    action: entry.action,
    targetType: entry.target.type,
    targetId: entry.target.id ?? null,
    targetLabel: entry.target.label ?? '',
    orgIdPaths: entry.orgIdPaths ?? [],
    before: entry.before ?? null,
    after: entry.after ?? null,
    importId: entry.importId ?? null,
  });
}

/** The audit actor for system work (seed, CLI, worker without a user). */
export const SYSTEM_ACTOR = { userId: null, label: 'system' } as const;

/** The audit actor for a signed-in user (the email stays readable after the user is gone). */
export function auditActor(actor: { userId: string; email: string }): AuditEntry['actor'] {
  return { userId: actor.userId, label: actor.email };
}

/**
 * The audit vocabulary (action names recorded and translated on the audit screen under
 * `audit.actions.<name>`). One list so recorders and the reader agree.
 */
export const AUDIT_ACTIONS = [
  'tenant.create',
  'org.create',
  'org.update',
  'org.move',
  'org.delete',
  'member.create', // a new member of the tenant (invited or, for a registered user, active)
  'membership.add', // an existing member put in one more org
  'member.update', // names, locale
  'member.deactivate',
  'member.reactivate',
  'member.remove', // from the whole tenant
  'membership.remove',
  'membership.setAdmin',
  'member.setTenantAdmin',
  'member.serviceAccess',
  'invitation.send',
  'invitation.revoke',
  'invitation.accept',
  'user.passwordReset',
  'group.create',
  'group.update', // name, description
  'group.delete',
  'group.addMembers',
  'group.removeMembers',
  'group.permissions', // the whole permission form, saved at once
  'service.create',
  'service.update',
  'service.delete',
  'contract.create',
  'contract.update',
  'contract.delete',
  'apiToken.create',
  'apiToken.revoke',
  'import.upload',
  'import.apply', // apply requested (the rows' own changes carry importId)
  'import.cancel',
  'import.discard',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];
