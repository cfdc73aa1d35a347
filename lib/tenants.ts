import { eq, sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { tenants } from '@/db/schema';
import type { Actor } from './actor';
import { type AuditEntry, recordAudit } from './audit';
import { authorize } from './authz';
import { DomainError } from './errors';
import { createRootOrganization } from './orgs';

export type Tenant = typeof tenants.$inferSelect;

/** Creates a tenant and its root organization (named after the tenant) in the caller's transaction. */
export async function createTenant(
  db: Db,
  input: { name: string; slug: string; defaultLocale?: 'en' | 'ja' },
  actor: AuditEntry['actor'],
): Promise<{ tenant: Tenant; rootOrgId: string }> {
  const [existing] = await db.select({ id: tenants.id }).from(tenants).where(eq(tenants.slug, input.slug)).limit(1);
  if (existing) throw new DomainError('slug_taken', 'tenants.slugTaken', { slug: input.slug }, 'slug');
  const [tenant] = await db
    .insert(tenants)
    .values({ name: input.name, slug: input.slug, defaultLocale: input.defaultLocale ?? 'en' })
    .returning();
  const root = await createRootOrganization(db, tenant!.id, input.name);
  await recordAudit(db, {
    tenantId: tenant!.id,
    actor,
    action: 'tenant.create',
    target: { type: 'tenant', id: tenant!.id, label: tenant!.name },
    orgIdPaths: [root.idPath],
    after: { name: tenant!.name, slug: tenant!.slug },
  });
  return { tenant: tenant!, rootOrgId: root.id };
}

/** Every tenant with its org and member counts, for the operator screen (platform operator only: `tenant.list`). */
export async function listTenantsWithCounts(db: Db, actor: Actor) {
  await authorize(db, actor, 'tenant.list', { type: 'platform' });
  return db
    .select({
      id: tenants.id,
      name: tenants.name,
      slug: tenants.slug,
      createdAt: tenants.createdAt,
      // Spelled out: inside a subquery a bare "id" would bind to the inner table.
      orgs: sql<number>`(select count(*)::int from organizations o where o.tenant_id = "tenants"."id")`,
      members: sql<number>`(select count(*)::int from tenant_members m where m.tenant_id = "tenants"."id")`,
    })
    .from(tenants)
    .orderBy(tenants.name);
}
