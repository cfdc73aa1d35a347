import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { and, eq, sql } from 'drizzle-orm';
import { closeDb, createDb, type Db } from './client';
import {
  contracts,
  groupContractPermissions,
  groupMembers,
  groupServicePermissions,
  orgMemberships,
  serviceAccess,
  services,
  tenantMembers,
  tenants,
  userGroups,
  users,
} from './schema';
import { SYSTEM_ACTOR } from '@/lib/audit';
import { findOrganizationByPath, insertChildOrganization, type Organization } from '@/lib/orgs';
import { hashPassword } from '@/lib/passwords';
import { createTenant } from '@/lib/tenants';

/**
 * Demo data, idempotent: every run converges on the same tenant, orgs, services and people,
 * changing nothing that already exists (passwords included).
 */
const SERVICES = [
  { key: 'cloud', name: 'Enterprise Cloud 2.0', nameJa: 'エンタープライズクラウド 2.0' },
  { key: 'playbook', name: 'Clarity Playbook', nameJa: 'クラリティ プレイブック' },
  { key: 'storage', name: 'Object Storage', nameJa: 'オブジェクトストレージ' },
];
const CONTRACTS = [
  { service: 'cloud', code: 'CLOUD-PROD', name: 'Enterprise Cloud 2.0 — Production', startsOn: '2026-04-01' },
  { service: 'cloud', code: 'CLOUD-DEV', name: 'Enterprise Cloud 2.0 — Development', startsOn: '2026-04-01' },
  { service: 'playbook', code: 'PLAYBOOK-STD', name: 'Clarity Playbook — Standard', startsOn: '2026-01-01' },
];
const ORG_PATHS = ['CA__India', 'CA__US', 'CA__India__HR', 'CA__US__HR'];
/** Groups show effective access at work: a service-wide level, and a per-contract override of it. */
const GROUPS = [
  {
    name: 'Cloud users',
    description: 'View access to every Enterprise Cloud contract.',
    services: { cloud: 'view' },
    contracts: {},
    members: ['ravi.kumar@ca.example', 'taro.yamada@ca.example', 'india.admin@ca.example'],
  },
  {
    name: 'Cloud operators',
    description: 'Edit Enterprise Cloud, except the development contract.',
    services: { cloud: 'edit' },
    contracts: { 'CLOUD-DEV': 'none' },
    members: ['taro.yamada@ca.example'],
  },
  {
    name: 'Playbook editors',
    description: '',
    services: { playbook: 'edit' },
    contracts: {},
    members: ['john.smith@ca.example'],
  },
] as const satisfies readonly {
  name: string;
  description: string;
  services: Record<string, 'view' | 'edit'>;
  contracts: Record<string, 'none' | 'view' | 'edit'>;
  members: readonly string[];
}[];

interface DemoPerson {
  email: string;
  firstName: string;
  lastName: string;
  locale?: 'en' | 'ja';
  status: 'active' | 'invited' | 'deactivated';
  isTenantAdmin?: boolean;
  orgs: { path: string; isAdmin?: boolean }[];
  services?: string[];
  /** Printed with its password. */
  login?: string;
}
const PEOPLE: DemoPerson[] = [
  { email: 'admin@ca.example', firstName: 'Akiko', lastName: 'Sato', status: 'active', isTenantAdmin: true, orgs: [{ path: 'CA', isAdmin: true }], services: ['cloud', 'playbook', 'storage'], login: 'tenant administrator of CA' },
  { email: 'india.admin@ca.example', firstName: 'Priya', lastName: 'Raman', status: 'active', orgs: [{ path: 'CA__India', isAdmin: true }], services: ['cloud'], login: 'administrator of CA__India' },
  { email: 'ravi.kumar@ca.example', firstName: 'Ravi', lastName: 'Kumar', status: 'active', orgs: [{ path: 'CA__India__HR' }], services: ['cloud'] },
  { email: 'taro.yamada@ca.example', firstName: '太郎', lastName: '山田', locale: 'ja', status: 'active', orgs: [{ path: 'CA__India' }, { path: 'CA__US' }], services: ['cloud', 'storage'] },
  { email: 'john.smith@ca.example', firstName: 'John', lastName: 'Smith', status: 'active', orgs: [{ path: 'CA__US' }], services: ['playbook'] },
  { email: 'mary.jones@ca.example', firstName: 'Mary', lastName: 'Jones', status: 'deactivated', orgs: [{ path: 'CA__US__HR' }] },
  { email: 'new.hire@ca.example', firstName: 'Hana', lastName: 'Suzuki', locale: 'ja', status: 'invited', orgs: [{ path: 'CA__US__HR' }] },
];
const OPERATOR = { email: 'operator@tenantry.example', firstName: 'Platform', lastName: 'Operator' };

const LOGINS_FILE = path.join(process.cwd(), '.data', 'demo-logins.txt');

function demoPassword(): string {
  return process.env.DEMO_PASSWORD ?? `Demo-${randomBytes(9).toString('base64url')}`;
}

async function ensureUser(db: Db, person: { email: string; firstName: string; lastName: string; locale?: 'en' | 'ja' }, password: string | null, isPlatformOperator = false) {
  const [existing] = await db.select().from(users).where(eq(sql`lower(${users.email})`, person.email.toLowerCase())).limit(1);
  if (existing) return { user: existing, created: false };
  const [user] = await db
    .insert(users)
    .values({
      email: person.email,
      firstName: person.firstName,
      lastName: person.lastName,
      locale: person.locale ?? null,
      passwordHash: password ? await hashPassword(password) : null,
      isPlatformOperator,
    })
    .returning();
  return { user: user!, created: true };
}

export async function seed(db: Db): Promise<string[]> {
  const logins: string[] = [];
  await db.transaction(async (tx) => {
    for (const s of SERVICES) {
      await tx.insert(services).values(s).onConflictDoNothing({ target: services.key });
    }
    const serviceIds = new Map((await tx.select().from(services)).map((s) => [s.key, s.id]));

    const operatorPassword = demoPassword();
    const operator = await ensureUser(tx, OPERATOR, operatorPassword, true);
    if (operator.created) logins.push(`${'platform operator'.padEnd(30)}${OPERATOR.email}  ${operatorPassword}`);

    let [tenant] = await tx.select().from(tenants).where(eq(tenants.slug, 'ca')).limit(1);
    if (!tenant) tenant = (await createTenant(tx, { name: 'CA', slug: 'ca' }, SYSTEM_ACTOR)).tenant;

    const orgs = new Map<string, Organization>();
    orgs.set('CA', (await findOrganizationByPath(tx, tenant.id, 'CA'))!);
    for (const orgPath of ORG_PATHS) {
      const existing = await findOrganizationByPath(tx, tenant.id, orgPath);
      const parentPath = orgPath.slice(0, orgPath.lastIndexOf('__'));
      const name = orgPath.slice(orgPath.lastIndexOf('__') + 2);
      orgs.set(orgPath, existing ?? (await insertChildOrganization(tx, orgs.get(parentPath)!, { name })));
    }

    for (const c of CONTRACTS) {
      await tx
        .insert(contracts)
        .values({ tenantId: tenant.id, serviceId: serviceIds.get(c.service)!, code: c.code, name: c.name, startsOn: c.startsOn })
        .onConflictDoNothing();
    }

    for (const person of PEOPLE) {
      const password = person.status === 'invited' ? null : demoPassword();
      const { user, created } = await ensureUser(tx, person, password);
      let [member] = await tx
        .select()
        .from(tenantMembers)
        .where(and(eq(tenantMembers.tenantId, tenant.id), eq(tenantMembers.userId, user.id)))
        .limit(1);
      if (!member) {
        [member] = await tx
          .insert(tenantMembers)
          .values({ tenantId: tenant.id, userId: user.id, status: person.status, isTenantAdmin: person.isTenantAdmin ?? false })
          .returning();
      }
      for (const o of person.orgs) {
        await tx
          .insert(orgMemberships)
          .values({ tenantId: tenant.id, orgId: orgs.get(o.path)!.id, memberId: member!.id, isAdmin: o.isAdmin ?? false })
          .onConflictDoNothing();
      }
      for (const key of person.services ?? []) {
        await tx.insert(serviceAccess).values({ tenantId: tenant.id, memberId: member!.id, serviceId: serviceIds.get(key)! }).onConflictDoNothing();
      }
      if (created && person.login && password) logins.push(`${person.login.padEnd(30)}${person.email}  ${password}`);
    }

    // A group that exists is left as it is (an admin may have changed it).
    const contractIds = new Map((await tx.select().from(contracts).where(eq(contracts.tenantId, tenant.id))).map((c) => [c.code, c.id]));
    for (const g of GROUPS) {
      const [group] = await tx
        .insert(userGroups)
        .values({ tenantId: tenant.id, name: g.name, description: g.description })
        .onConflictDoNothing()
        .returning();
      if (!group) continue;
      for (const [key, level] of Object.entries(g.services)) {
        await tx.insert(groupServicePermissions).values({ groupId: group.id, serviceId: serviceIds.get(key)!, level });
      }
      for (const [code, level] of Object.entries(g.contracts)) {
        await tx.insert(groupContractPermissions).values({ tenantId: tenant.id, groupId: group.id, contractId: contractIds.get(code)!, level });
      }
      for (const email of g.members) {
        const [member] = await tx
          .select({ id: tenantMembers.id })
          .from(tenantMembers)
          .innerJoin(users, eq(users.id, tenantMembers.userId))
          .where(and(eq(tenantMembers.tenantId, tenant.id), eq(users.email, email)));
        await tx.insert(groupMembers).values({ tenantId: tenant.id, groupId: group.id, memberId: member!.id });
      }
    }
  });
  return logins;
}

if (require.main === module) {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error('db:seed: DATABASE_URL is not set');
    process.exit(1);
  }
  const db = createDb(url, { max: 1 });
  seed(db)
    .then((created) => {
      if (created.length > 0 && !process.env.DEMO_PASSWORD) {
        fs.mkdirSync(path.dirname(LOGINS_FILE), { recursive: true });
        fs.writeFileSync(LOGINS_FILE, `${created.join('\n')}\n`, { mode: 0o600 });
      }
      const saved = created.length > 0 ? created.join('\n') : fs.existsSync(LOGINS_FILE) ? fs.readFileSync(LOGINS_FILE, 'utf8').trimEnd() : '';
      console.log('db:seed: demo tenant "CA" is ready (tenant URL name: ca)');
      if (saved) console.log(`Demo logins (kept in .data/demo-logins.txt):\n${saved.replace(/^/gm, '  ')}`);
      else if (process.env.DEMO_PASSWORD) console.log('Demo logins use DEMO_PASSWORD.');
    })
    .catch((err: unknown) => {
      console.error(`db:seed: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    })
    .finally(() => closeDb(db));
}
