import type { Db } from '@/db/client';
import { auditEvents } from '@/db/schema';

export interface AuditEntry {
  tenantId: string | null;
  actor: { userId: string | null; label: string };
  action: string;
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
