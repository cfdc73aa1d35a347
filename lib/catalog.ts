import { and, asc, count, countDistinct, eq, inArray, isNull, ne, sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { auditEvents, contracts, groupContractPermissions, groupServicePermissions, serviceAccess, services, tenants } from '@/db/schema';
import type { Actor } from './actor';
import { auditActor, recordAudit } from './audit';
import { authorize } from './authz';
import { DomainError, NotFoundError, pgError } from './errors';
import { isUuid } from '@/lib/validation';

/*
 * The service catalog and the tenants' contracts (SPEC §1, §2): the platform operator manages
 * both; a tenant administrator reads their own tenant's contracts. Every rule about keys, codes
 * and dates lives here, so the database constraints are only a backstop.
 */

export type Service = typeof services.$inferSelect;
export type Contract = typeof contracts.$inferSelect;

/** The key spreadsheets and the access API name a service by (the database checks the same). */
export const SERVICE_KEY = /^[a-z][a-z0-9_-]{0,39}$/;
export const SERVICE_KEY_MAX = 40;
export const SERVICE_NAME_MAX = 100;
export const CONTRACT_CODE_MAX = 64;
export const CONTRACT_NAME_MAX = 200;

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
// Control characters (C0, DEL, C1) have no place in a name or a code.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

// ---------------------------------------------------------------------------------------------
// Pure helpers

export type ContractState = 'upcoming' | 'active' | 'ended';

/** Where a contract stands on `today` (YYYY-MM-DD): both dates are inclusive, a missing one is open. */
export function contractState(contract: { startsOn: string | null; endsOn: string | null }, today: string): ContractState {
  if (contract.startsOn && today < contract.startsOn) return 'upcoming';
  if (contract.endsOn && today > contract.endsOn) return 'ended';
  return 'active';
}

/** Today's calendar date (YYYY-MM-DD) on the wall clock of `timeZone`. */
export function todayIn(timeZone: string, now: Date = new Date()): string {
  // en-CA writes dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

/** A service's name in a locale: the Japanese name for `ja` when there is one. */
export function serviceName(service: { name: string; nameJa: string | null }, locale: string): string {
  return locale === 'ja' && service.nameJa ? service.nameJa : service.name;
}

/** A real calendar date as YYYY-MM-DD (what date inputs post), or null when it is not one. */
export function parseIsoDate(value: string): string | null {
  const m = ISO_DATE.exec(value);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (y < 1900 || date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null;
  return value;
}

// ---------------------------------------------------------------------------------------------
// Validation (field errors with messages under catalog.errors)

function fail(code: string, key: string, field: string, params: Record<string, string | number> = {}): never {
  throw new DomainError(code, `catalog.errors.${key}`, params, field);
}

/** A required single-line text: trimmed by the caller, 1..max characters, no control characters. */
function assertText(value: string, field: string, max: number): void {
  if (value.length === 0) fail('required', 'required', field);
  if ([...value].length > max) fail('too_long', 'tooLong', field, { max });
  if (value !== value.trim()) fail('edge_space', 'edgeSpace', field);
  if (CONTROL.test(value)) fail('invalid_chars', 'controlChars', field);
}

export interface ServiceFields {
  name: string;
  /** Empty or null: no Japanese name (Japanese screens then show the English one). */
  nameJa?: string | null;
}

function normalizeServiceFields(input: ServiceFields): { name: string; nameJa: string | null } {
  const name = input.name.trim();
  const nameJa = (input.nameJa ?? '').trim();
  assertText(name, 'name', SERVICE_NAME_MAX);
  if (nameJa) assertText(nameJa, 'nameJa', SERVICE_NAME_MAX);
  return { name, nameJa: nameJa || null };
}

function assertServiceKey(key: string): void {
  if (key.length === 0) fail('required', 'required', 'key');
  if (key.length > SERVICE_KEY_MAX) fail('invalid_key', 'keyTooLong', 'key', { max: SERVICE_KEY_MAX });
  if (!SERVICE_KEY.test(key)) fail('invalid_key', 'keyInvalid', 'key');
}

export interface ContractFields {
  serviceId: string;
  code: string;
  name: string;
  /** YYYY-MM-DD; empty or null = open (no start, no end). */
  startsOn?: string | null;
  endsOn?: string | null;
}

interface NormalizedContract {
  serviceId: string;
  code: string;
  name: string;
  startsOn: string | null;
  endsOn: string | null;
}

function normalizeDate(value: string | null | undefined, field: string): string | null {
  const v = (value ?? '').trim();
  if (!v) return null;
  return parseIsoDate(v) ?? fail('invalid_date', 'dateInvalid', field);
}

function normalizeContractFields(input: ContractFields): NormalizedContract {
  const code = input.code.trim();
  const name = input.name.trim();
  if (!input.serviceId) fail('required', 'serviceRequired', 'serviceId');
  if (code.length === 0) fail('required', 'required', 'code');
  if ([...code].length > CONTRACT_CODE_MAX) fail('too_long', 'tooLong', 'code', { max: CONTRACT_CODE_MAX });
  // Codes are typed into spreadsheets and API queries: no spaces, no invisible characters.
  if (/\s/u.test(code) || CONTROL.test(code)) fail('invalid_code', 'codeInvalid', 'code');
  assertText(name, 'name', CONTRACT_NAME_MAX);
  const startsOn = normalizeDate(input.startsOn, 'startsOn');
  const endsOn = normalizeDate(input.endsOn, 'endsOn');
  if (startsOn && endsOn && endsOn < startsOn) fail('ends_before_start', 'endsBeforeStart', 'endsOn');
  return { serviceId: input.serviceId, code, name, startsOn, endsOn };
}

// ---------------------------------------------------------------------------------------------
// Database backstops

/**
 * Runs a catalog write, turning a constraint that a concurrent writer tripped into the same clear
 * message as the checks made before it. `deleting`: a foreign key refusing the delete of a service.
 */
async function withConstraints<T>(values: { key?: string; code?: string; deleting?: boolean }, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const pg = pgError(err);
    if (pg?.code === '23505' && pg.constraint_name === 'services_key_uq') fail('service_key_taken', 'keyTaken', 'key', { key: values.key ?? '' });
    if (pg?.code === '23505' && pg.constraint_name === 'contracts_tenant_code_uq') fail('contract_code_taken', 'codeTaken', 'code', { code: values.code ?? '' });
    if (pg?.code === '23503') {
      // Something started using the service while it was being deleted, or it went while a contract named it.
      if (values.deleting) throw new DomainError('service_in_use', 'catalog.errors.serviceInUseNow');
      if (pg.constraint_name?.includes('service')) fail('unknown_service', 'serviceUnknown', 'serviceId');
    }
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Services (platform operator)

export interface ServiceUsage {
  /** Tenants holding at least one contract for the service. */
  tenants: number;
  contracts: number;
  /** Members whose service access is on. */
  members: number;
  /** Groups with a service-wide permission on it. */
  groups: number;
}

export type ServiceWithUsage = Service & { usage: ServiceUsage };

const NO_USAGE: ServiceUsage = { tenants: 0, contracts: 0, members: 0, groups: 0 };

/** How much uses each of the given services (all of them when `ids` is absent): one grouped scan per table. */
async function loadUsage(db: Db, ids?: string[]): Promise<Map<string, ServiceUsage>> {
  const [contractRows, accessRows, groupRows] = await Promise.all([
    db
      .select({ id: contracts.serviceId, contracts: count(), tenants: countDistinct(contracts.tenantId) })
      .from(contracts)
      .where(ids ? inArray(contracts.serviceId, ids) : undefined)
      .groupBy(contracts.serviceId),
    db
      .select({ id: serviceAccess.serviceId, n: count() })
      .from(serviceAccess)
      .where(ids ? inArray(serviceAccess.serviceId, ids) : undefined)
      .groupBy(serviceAccess.serviceId),
    db
      .select({ id: groupServicePermissions.serviceId, n: count() })
      .from(groupServicePermissions)
      .where(ids ? inArray(groupServicePermissions.serviceId, ids) : undefined)
      .groupBy(groupServicePermissions.serviceId),
  ]);
  const usage = new Map<string, ServiceUsage>();
  const entry = (id: string) => usage.get(id) ?? usage.set(id, { ...NO_USAGE }).get(id)!;
  for (const r of contractRows) Object.assign(entry(r.id), { contracts: r.contracts, tenants: r.tenants });
  for (const r of accessRows) entry(r.id).members = r.n;
  for (const r of groupRows) entry(r.id).groups = r.n;
  return usage;
}

/** Whether anything still refers to the service (so it cannot be deleted). */
export function serviceInUse(usage: ServiceUsage): boolean {
  return usage.contracts > 0 || usage.members > 0 || usage.groups > 0;
}

/** The whole catalog, by key, with what uses each service (operator only). */
export async function listServices(db: Db, actor: Actor): Promise<ServiceWithUsage[]> {
  await authorize(db, actor, 'catalog.manage', { type: 'platform' });
  const [rows, usage] = await Promise.all([db.select().from(services).orderBy(asc(services.key)), loadUsage(db)]);
  return rows.map((s) => ({ ...s, usage: usage.get(s.id) ?? { ...NO_USAGE } }));
}

async function findService(db: Db, serviceId: string, lock = false): Promise<Service> {
  if (!isUuid(serviceId)) throw new NotFoundError('service');
  const query = db.select().from(services).where(eq(services.id, serviceId));
  const [row] = lock ? await query.for('update') : await query;
  if (!row) throw new NotFoundError('service');
  return row;
}

/** One service with its usage (operator only). */
export async function getService(db: Db, actor: Actor, serviceId: string): Promise<ServiceWithUsage> {
  await authorize(db, actor, 'catalog.manage', { type: 'platform' });
  const service = await findService(db, serviceId);
  const usage = await loadUsage(db, [service.id]);
  return { ...service, usage: usage.get(service.id) ?? { ...NO_USAGE } };
}

/** What the audit log keeps of a service. */
function serviceSnapshot(s: Pick<Service, 'key' | 'name' | 'nameJa'>) {
  return { key: s.key, name: s.name, nameJa: s.nameJa };
}

/** Adds a service to the catalog (operator only); audited as `service.create` (platform-level). */
export async function createService(db: Db, actor: Actor, input: { key: string } & ServiceFields): Promise<Service> {
  await authorize(db, actor, 'catalog.manage', { type: 'platform' });
  const key = input.key.trim();
  assertServiceKey(key);
  const fields = normalizeServiceFields(input);
  return withConstraints({ key }, () =>
    db.transaction(async (tx) => {
      const [taken] = await tx.select({ id: services.id }).from(services).where(eq(services.key, key)).limit(1);
      if (taken) fail('service_key_taken', 'keyTaken', 'key', { key });
      const [service] = await tx.insert(services).values({ key, ...fields }).returning();
      await recordAudit(tx, {
        tenantId: null,
        actor: auditActor(actor),
        action: 'service.create',
        target: { type: 'service', id: service!.id, label: key },
        after: serviceSnapshot(service!),
      });
      return service!;
    }),
  );
}

/**
 * Renames a service (operator only). The key never changes once created: spreadsheets and the
 * access API name services by it. Audited as `service.update` when anything changed.
 */
export async function updateService(db: Db, actor: Actor, serviceId: string, input: ServiceFields): Promise<Service> {
  await authorize(db, actor, 'catalog.manage', { type: 'platform' });
  const fields = normalizeServiceFields(input);
  return db.transaction(async (tx) => {
    const service = await findService(tx, serviceId, true);
    if (service.name === fields.name && service.nameJa === fields.nameJa) return service;
    const [updated] = await tx
      .update(services)
      .set({ ...fields, updatedAt: sql`now()` })
      .where(eq(services.id, service.id))
      .returning();
    await recordAudit(tx, {
      tenantId: null,
      actor: auditActor(actor),
      action: 'service.update',
      target: { type: 'service', id: service.id, label: service.key },
      before: serviceSnapshot(service),
      after: serviceSnapshot(updated!),
    });
    return updated!;
  });
}

/**
 * Deletes a service nothing uses (operator only). While any contract, service access or group
 * permission refers to it, refuses with what uses it and changes nothing. Audited as `service.delete`.
 */
export async function deleteService(db: Db, actor: Actor, serviceId: string): Promise<Service> {
  await authorize(db, actor, 'catalog.manage', { type: 'platform' });
  return withConstraints({ deleting: true }, () =>
    db.transaction(async (tx) => {
      // The row lock makes concurrent inserts that reference the service wait for this decision.
      const service = await findService(tx, serviceId, true);
      const usage = (await loadUsage(tx, [service.id])).get(service.id) ?? NO_USAGE;
      if (serviceInUse(usage)) {
        throw new DomainError('service_in_use', 'catalog.errors.serviceInUse', {
          key: service.key,
          contracts: usage.contracts,
          tenants: usage.tenants,
          members: usage.members,
          groups: usage.groups,
        });
      }
      await tx.delete(services).where(eq(services.id, service.id));
      await recordAudit(tx, {
        tenantId: null,
        actor: auditActor(actor),
        action: 'service.delete',
        target: { type: 'service', id: service.id, label: service.key },
        before: serviceSnapshot(service),
      });
      return service;
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Contracts

/** A service as contracts show it: no usage, no timestamps. */
export type ServiceRef = Pick<Service, 'id' | 'key' | 'name' | 'nameJa'>;

export interface ContractWithService extends Contract {
  service: ServiceRef;
  /** Per-contract group permissions (entries of group permission forms) on this contract. */
  permissions: number;
}

const serviceColumns = { id: services.id, key: services.key, name: services.name, nameJa: services.nameJa };

/** The catalog by key, names only, for the contract forms' service choice (operator only; none of listServices' usage scans). */
export async function listServiceChoices(db: Db, actor: Actor): Promise<ServiceRef[]> {
  await authorize(db, actor, 'catalog.manage', { type: 'platform' });
  return db.select(serviceColumns).from(services).orderBy(asc(services.key));
}

/**
 * A contract's per-contract permission count, as a subquery beside its row. No tenant filter: the
 * permissions' composite foreign key (tenant_id, contract_id) already keeps them in the contract's tenant.
 */
const permissionCount = sql<number>`(select count(*)::int from ${groupContractPermissions} p where p.contract_id = ${contracts.id})`;

/**
 * A tenant's contracts with their services, by service key then code: for the platform operator
 * and the tenant's own administrators (`contracts.view`); anyone else is refused by lib/authz.
 */
export async function listTenantContracts(
  db: Db,
  actor: Actor,
  tenantId: string,
): Promise<{ tenant: Pick<typeof tenants.$inferSelect, 'id' | 'name' | 'slug'>; contracts: ContractWithService[] }> {
  const { tenant } = await authorize(db, actor, 'contracts.view', { type: 'tenant', id: tenantId });
  const rows = await db
    .select({ contract: contracts, service: serviceColumns, permissions: permissionCount })
    .from(contracts)
    .innerJoin(services, eq(services.id, contracts.serviceId))
    .where(eq(contracts.tenantId, tenant.id))
    .orderBy(asc(services.key), asc(sql`lower(${contracts.code})`));
  return {
    tenant: { id: tenant.id, name: tenant.name, slug: tenant.slug },
    contracts: rows.map((r) => ({ ...r.contract, service: r.service, permissions: r.permissions })),
  };
}

/** One contract with its service and tenant, for the operator's edit page. */
export async function getContract(
  db: Db,
  actor: Actor,
  contractId: string,
): Promise<{ contract: ContractWithService; tenant: Pick<typeof tenants.$inferSelect, 'id' | 'name' | 'slug'> }> {
  await authorize(db, actor, 'catalog.manage', { type: 'contract', id: contractId });
  const [row] = await db
    .select({
      contract: contracts,
      service: serviceColumns,
      permissions: permissionCount,
      tenant: { id: tenants.id, name: tenants.name, slug: tenants.slug },
    })
    .from(contracts)
    .innerJoin(services, eq(services.id, contracts.serviceId))
    .innerJoin(tenants, eq(tenants.id, contracts.tenantId))
    .where(eq(contracts.id, contractId));
  if (!row) throw new NotFoundError('contract');
  return { contract: { ...row.contract, service: row.service, permissions: row.permissions }, tenant: row.tenant };
}

/** The service a contract form names; an unknown id (a stale form) is a field error. */
async function serviceForContract(db: Db, serviceId: string): Promise<Service> {
  try {
    return await findService(db, serviceId);
  } catch (err) {
    if (err instanceof NotFoundError) fail('unknown_service', 'serviceUnknown', 'serviceId');
    throw err;
  }
}

/** Refuses a code another contract of the tenant already has (compared ignoring case). */
async function assertCodeFree(db: Db, tenantId: string, code: string, exceptId?: string): Promise<void> {
  const [taken] = await db
    .select({ code: contracts.code })
    .from(contracts)
    .where(and(eq(contracts.tenantId, tenantId), eq(sql`lower(${contracts.code})`, code.toLowerCase()), exceptId ? ne(contracts.id, exceptId) : undefined))
    .limit(1);
  if (taken) fail('contract_code_taken', 'codeTaken', 'code', { code: taken.code });
}

/** What the audit log keeps of a contract: readable fields (the service by its key). */
function contractSnapshot(c: Pick<Contract, 'code' | 'name' | 'startsOn' | 'endsOn'>, serviceKey: string) {
  return { code: c.code, name: c.name, service: serviceKey, startsOn: c.startsOn, endsOn: c.endsOn };
}

/** The contract and its service's key, locked until the transaction ends (it may have gone since authorize). */
async function lockContract(tx: Db, contractId: string): Promise<{ contract: Contract; serviceKey: string }> {
  const [current] = await tx
    .select({ contract: contracts, serviceKey: services.key })
    .from(contracts)
    .innerJoin(services, eq(services.id, contracts.serviceId))
    .where(eq(contracts.id, contractId))
    .for('update', { of: contracts });
  if (!current) throw new NotFoundError('contract');
  return current;
}

/** Records a tenant's contract (operator only); audited as `contract.create` in the tenant's log. */
export async function createContract(db: Db, actor: Actor, tenantId: string, input: ContractFields): Promise<Contract> {
  const { tenant } = await authorize(db, actor, 'catalog.manage', { type: 'tenant', id: tenantId });
  const fields = normalizeContractFields(input);
  return withConstraints({ code: fields.code }, () =>
    db.transaction(async (tx) => {
      const service = await serviceForContract(tx, fields.serviceId);
      await assertCodeFree(tx, tenant.id, fields.code);
      const [contract] = await tx
        .insert(contracts)
        .values({ tenantId: tenant.id, ...fields, serviceId: service.id })
        .returning();
      await recordAudit(tx, {
        tenantId: tenant.id,
        actor: auditActor(actor),
        action: 'contract.create',
        target: { type: 'contract', id: contract!.id, label: contract!.code },
        after: contractSnapshot(contract!, service.key),
      });
      return contract!;
    }),
  );
}

/** Edits a contract: service, code, name, dates (operator only); audited as `contract.update` when anything changed. */
export async function updateContract(db: Db, actor: Actor, contractId: string, input: ContractFields): Promise<Contract> {
  await authorize(db, actor, 'catalog.manage', { type: 'contract', id: contractId });
  const fields = normalizeContractFields(input);
  return withConstraints({ code: fields.code }, () =>
    db.transaction(async (tx) => {
      const { contract, serviceKey } = await lockContract(tx, contractId);
      const service = fields.serviceId === contract.serviceId ? null : await serviceForContract(tx, fields.serviceId);
      const unchanged =
        !service &&
        fields.code === contract.code &&
        fields.name === contract.name &&
        fields.startsOn === contract.startsOn &&
        fields.endsOn === contract.endsOn;
      if (unchanged) return contract;
      if (fields.code.toLowerCase() !== contract.code.toLowerCase()) await assertCodeFree(tx, contract.tenantId, fields.code, contract.id);
      const [updated] = await tx
        .update(contracts)
        .set({ ...fields, updatedAt: sql`now()` })
        .where(eq(contracts.id, contract.id))
        .returning();
      await recordAudit(tx, {
        tenantId: contract.tenantId,
        actor: auditActor(actor),
        action: 'contract.update',
        target: { type: 'contract', id: contract.id, label: updated!.code },
        before: contractSnapshot(contract, serviceKey),
        after: contractSnapshot(updated!, service?.key ?? serviceKey),
      });
      return updated!;
    }),
  );
}

/**
 * Deletes a contract (operator only) with the per-contract group permissions on it (the
 * database cascades them); returns how many went. Audited as `contract.delete` in the tenant's log.
 */
export async function deleteContract(db: Db, actor: Actor, contractId: string): Promise<{ contract: Contract; permissions: number }> {
  await authorize(db, actor, 'catalog.manage', { type: 'contract', id: contractId });
  return db.transaction(async (tx) => {
    const { contract, serviceKey } = await lockContract(tx, contractId);
    const removed = await tx
      .delete(groupContractPermissions)
      .where(and(eq(groupContractPermissions.tenantId, contract.tenantId), eq(groupContractPermissions.contractId, contract.id)))
      .returning({ groupId: groupContractPermissions.groupId });
    await tx.delete(contracts).where(eq(contracts.id, contract.id));
    await recordAudit(tx, {
      tenantId: contract.tenantId,
      actor: auditActor(actor),
      action: 'contract.delete',
      target: { type: 'contract', id: contract.id, label: contract.code },
      before: { ...contractSnapshot(contract, serviceKey), permissions: removed.length },
    });
    return { contract, permissions: removed.length };
  });
}

// ---------------------------------------------------------------------------------------------
// After a delete: what went, read back from the audit log (a `?deleted=ID` in a URL proves nothing)

/** The key of a service the audit log shows was deleted (operator only), or null. */
export async function deletedServiceKey(db: Db, actor: Actor, serviceId: string): Promise<string | null> {
  await authorize(db, actor, 'catalog.manage', { type: 'platform' });
  const [row] = await db
    .select({ key: auditEvents.targetLabel })
    .from(auditEvents)
    .where(and(isNull(auditEvents.tenantId), eq(auditEvents.action, 'service.delete'), eq(auditEvents.targetType, 'service'), eq(auditEvents.targetId, serviceId)))
    .limit(1);
  return row?.key ?? null;
}

/** The code of a tenant's contract the audit log shows was deleted, and how many permissions went with it; null when none. */
export async function deletedContract(db: Db, actor: Actor, tenantId: string, contractId: string): Promise<{ code: string; permissions: number } | null> {
  await authorize(db, actor, 'contracts.view', { type: 'tenant', id: tenantId });
  const [row] = await db
    .select({ code: auditEvents.targetLabel, before: auditEvents.before })
    .from(auditEvents)
    .where(and(eq(auditEvents.tenantId, tenantId), eq(auditEvents.action, 'contract.delete'), eq(auditEvents.targetType, 'contract'), eq(auditEvents.targetId, contractId)))
    .limit(1);
  if (!row) return null;
  const permissions = (row.before as { permissions?: unknown } | null)?.permissions;
  return { code: row.code, permissions: typeof permissions === 'number' ? permissions : 0 };
}
