import { randomBytes } from 'node:crypto';
import { test as base, expect, type Page } from '@playwright/test';
import { and, eq } from 'drizzle-orm';
import { closeDb, createDb, type Database } from '@/db/client';
import { contracts, serviceAccess, services, tenantMembers, users } from '@/db/schema';
import { hashPassword } from '@/lib/passwords';
import { addGroup, addMember, createTenantFixture } from '@/lib/testing/fixtures';

export const PASSWORD = 'Correct-Horse-Battery-42';
// argon2id is deliberately slow: hash the shared test password once per worker process.
let passwordHash: Promise<string> | undefined;

export interface SeededTenant {
  slug: string;
  name: string;
  /** Creates an active (or other status) member in an org of this tenant; returns the email. */
  addMember(options: {
    /** An existing user (by email) joins this tenant instead of a new one being created. */
    existingEmail?: string;
    /** Name path of the member's org (default: the root). */
    org?: string;
    status?: 'active' | 'invited' | 'deactivated';
    isTenantAdmin?: boolean;
    isAdmin?: boolean;
    firstName?: string;
    lastName?: string;
    locale?: 'en' | 'ja';
    /** Service keys the member's service access is on for (the services must exist: `addContract`). */
    services?: string[];
  }): Promise<string>;
  /** A contract of this tenant for a catalog service (created when missing, shared by all tests). */
  addContract(options: { service: { key: string; name: string }; code: string; name: string }): Promise<void>;
  /** A user group of this tenant (no members, no permissions); returns its id. */
  addGroup(name: string): Promise<string>;
  setStatus(email: string, status: 'active' | 'deactivated'): Promise<void>;
  /** The tenant member id of a member added with addMember. */
  memberId(email: string): string;
  /** The id of an org of this tenant, by name path. */
  orgId(path: string): string;
}

/** Each test gets its own tenant (`<ROOT>`, `<ROOT>__India`, `<ROOT>__India__HR`, `<ROOT>__US`) in the e2e database. */
export const test = base.extend<{ tenant: SeededTenant; otherTenant: SeededTenant }, { db: Database }>({
  db: [
    async ({}, use) => {
      const url = process.env.DATABASE_URL;
      if (!url) throw new Error('DATABASE_URL is not set: run e2e through `npm test`');
      const db = createDb(url, { max: 2 });
      await use(db);
      await closeDb(db);
    },
    { scope: 'worker' },
  ],
  tenant: async ({ db }, use) => use(await seedTenant(db)),
  otherTenant: async ({ db }, use) => use(await seedTenant(db)),
});

async function seedTenant(db: Database): Promise<SeededTenant> {
  const suffix = randomBytes(4).toString('hex');
  const name = `T${suffix}`;
  const tenant = await createTenantFixture(db, { slug: `t-${suffix}`, name, orgPaths: [`${name}__India__HR`, `${name}__US`] });
  passwordHash ??= hashPassword(PASSWORD);
  const hash = await passwordHash;
  let counter = 0;
  const memberIds = new Map<string, string>();
  return {
    slug: tenant.slug,
    name,
    async addMember(options) {
      const email = options.existingEmail ?? `user${++counter}-${suffix}@e2e.example`;
      const member = await addMember(db, tenant, {
        email,
        firstName: options.firstName ?? 'Test',
        lastName: options.lastName ?? `User ${counter}`,
        locale: options.locale,
        status: options.status,
        isTenantAdmin: options.isTenantAdmin,
        orgs: [{ path: options.org ?? name, isAdmin: options.isAdmin }],
        passwordHash: hash,
      });
      memberIds.set(email, member.memberId);
      for (const key of options.services ?? []) {
        const [service] = await db.select({ id: services.id }).from(services).where(eq(services.key, key));
        if (!service) throw new Error(`e2e fixture: no service '${key}' (add a contract of it first)`);
        await db.insert(serviceAccess).values({ tenantId: tenant.id, memberId: member.memberId, serviceId: service.id });
      }
      return email;
    },
    async addContract({ service, code, name: contractName }) {
      // The catalog is platform-wide and tests run in parallel: create the service once, whoever comes first.
      await db.insert(services).values(service).onConflictDoNothing({ target: services.key });
      const [row] = await db.select({ id: services.id }).from(services).where(eq(services.key, service.key));
      await db.insert(contracts).values({ tenantId: tenant.id, serviceId: row!.id, code, name: contractName });
    },
    memberId(email) {
      const id = memberIds.get(email);
      if (!id) throw new Error(`e2e fixture: no member ${email} in ${name}`);
      return id;
    },
    orgId: (path) => tenant.org(path).id,
    addGroup: (groupName) => addGroup(db, tenant, { name: groupName }),
    async setStatus(email, status) {
      const [user] = await db.select().from(users).where(eq(users.email, email));
      await db.update(tenantMembers).set({ status }).where(and(eq(tenantMembers.tenantId, tenant.id), eq(tenantMembers.userId, user!.id)));
    },
  };
}

export { expect };

/** Signs in through the real form. */
export async function signIn(page: Page, email: string, password = PASSWORD): Promise<void> {
  await page.goto('/sign-in');
  await page.getByLabel(/Email address|メールアドレス/).fill(email);
  await page.getByLabel(/^Password$|^パスワード$/).fill(password);
  await page.getByRole('button', { name: /^Sign in$|^サインイン$/ }).click();
}

/** The page's own alert (Next.js also renders a route announcer with role=alert). */
export function alertIn(page: Page) {
  return page.getByRole('main').getByRole('alert');
}

/**
 * Opens the newest email to `to` in the dev mailbox (as the signed-in user of `page`), waiting
 * for the worker to send it, and returns the href of the link named `linkName` in its HTML.
 */
export async function linkFromMailbox(page: Page, to: string, linkName: RegExp): Promise<string> {
  await expect(async () => {
    await page.goto(`/dev/mailbox?to=${encodeURIComponent(to)}`);
    const rows = page.getByRole('table', { name: 'Messages' }).getByRole('row');
    // Header + at least one message, rendered (the worker renders when it sends).
    await expect(rows.nth(1).getByRole('cell').nth(4)).toHaveText(/sent|delivered/, { timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
  await page.getByRole('table', { name: 'Messages' }).getByRole('row').nth(1).getByRole('link').click();
  const link = page.frameLocator('iframe[title="Message HTML"]').getByRole('link', { name: linkName });
  const href = await link.getAttribute('href');
  if (!href) throw new Error(`no link ${linkName} in the newest email to ${to}`);
  return href;
}
