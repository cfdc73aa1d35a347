import { createHash } from 'node:crypto';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import {
  contracts,
  groupContractPermissions,
  groupServicePermissions,
  services,
  userGroups,
  type ContractPermissionLevel,
  type PermissionLevel,
} from '@/db/schema';
import type { Actor } from '@/lib/actor';
import { auditActor, recordAudit } from '@/lib/audit';
import { authorize } from '@/lib/authz';
import { DomainError, NotFoundError } from '@/lib/errors';

/*
 * A group's permission form (SPEC §3.4): one row per service with a service-wide level
 * (none / view / edit; `none` = no row), each contract with a per-contract level
 * (inherit / none / view / edit; `inherit` = no row). One save applies the whole form in one
 * transaction; a revision (a hash of the group's permission rows when the form was opened)
 * refuses a form someone else changed meanwhile.
 */

export const SERVICE_LEVELS = ['none', 'view', 'edit'] as const;
export const CONTRACT_LEVELS = ['inherit', 'none', 'view', 'edit'] as const;
export type ServiceLevel = (typeof SERVICE_LEVELS)[number];
export type ContractLevel = (typeof CONTRACT_LEVELS)[number];

export interface PermissionContract {
  id: string;
  code: string;
  name: string;
  startsOn: string | null;
  endsOn: string | null;
  level: ContractLevel;
}

export interface PermissionService {
  id: string;
  key: string;
  name: string;
  nameJa: string | null;
  level: ServiceLevel;
  contracts: PermissionContract[];
}

export interface GroupPermissionsView {
  group: { id: string; tenantId: string; name: string };
  /** Identifies the permission rows the form shows; saving with another one is refused. */
  revision: string;
  /** The tenant's services with contracts (plus any the group has a row for), by name. */
  services: PermissionService[];
}

export interface SavePermissionsInput {
  revision: string;
  /** Service key → level. Services left out keep their level. */
  services: Record<string, string>;
  /** Contract code → level. Contracts left out keep their level. */
  contracts: Record<string, string>;
}

export interface SavePermissionsResult {
  changed: boolean;
  revision: string;
}

// ---------------------------------------------------------------------------------------------
// Reading

interface PermissionRows {
  services: { serviceId: string; level: PermissionLevel }[];
  contracts: { contractId: string; level: ContractPermissionLevel }[];
}

async function loadRows(db: Db, groupId: string): Promise<PermissionRows> {
  const [serviceRows, contractRows] = await Promise.all([
    db
      .select({ serviceId: groupServicePermissions.serviceId, level: groupServicePermissions.level })
      .from(groupServicePermissions)
      .where(eq(groupServicePermissions.groupId, groupId)),
    db
      .select({ contractId: groupContractPermissions.contractId, level: groupContractPermissions.level })
      .from(groupContractPermissions)
      .where(eq(groupContractPermissions.groupId, groupId)),
  ]);
  return { services: serviceRows, contracts: contractRows };
}

/** A stable hash of the group's permission rows (order-independent). */
function revisionOf(rows: PermissionRows): string {
  const lines = [...rows.services.map((r) => `s:${r.serviceId}:${r.level}`), ...rows.contracts.map((r) => `c:${r.contractId}:${r.level}`)].sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 32);
}

/** The tenant's contracts with their services, and the services the group has rows for. */
async function loadCatalogue(db: Db, tenantId: string, rows: PermissionRows) {
  const [contractRows, extraServices] = await Promise.all([
    db
      .select({
        id: contracts.id,
        code: contracts.code,
        name: contracts.name,
        startsOn: contracts.startsOn,
        endsOn: contracts.endsOn,
        serviceId: services.id,
        serviceKey: services.key,
        serviceName: services.name,
        serviceNameJa: services.nameJa,
      })
      .from(contracts)
      .innerJoin(services, eq(services.id, contracts.serviceId))
      .where(eq(contracts.tenantId, tenantId))
      .orderBy(asc(sql`lower(${contracts.code})`)),
    rows.services.length === 0
      ? Promise.resolve([])
      : db
          .select({ id: services.id, key: services.key, name: services.name, nameJa: services.nameJa })
          .from(services)
          .where(
            inArray(
              services.id,
              rows.services.map((r) => r.serviceId),
            ),
          ),
  ]);
  return { contractRows, extraServices };
}

function buildView(
  group: { id: string; tenantId: string; name: string },
  rows: PermissionRows,
  catalogue: Awaited<ReturnType<typeof loadCatalogue>>,
): GroupPermissionsView {
  const serviceLevel = new Map(rows.services.map((r) => [r.serviceId, r.level]));
  const contractLevel = new Map(rows.contracts.map((r) => [r.contractId, r.level]));
  const byId = new Map<string, PermissionService>();
  const serviceOf = (s: { id: string; key: string; name: string; nameJa: string | null }) => {
    let service = byId.get(s.id);
    if (!service) {
      service = { id: s.id, key: s.key, name: s.name, nameJa: s.nameJa, level: serviceLevel.get(s.id) ?? 'none', contracts: [] };
      byId.set(s.id, service);
    }
    return service;
  };
  for (const c of catalogue.contractRows) {
    serviceOf({ id: c.serviceId, key: c.serviceKey, name: c.serviceName, nameJa: c.serviceNameJa }).contracts.push({
      id: c.id,
      code: c.code,
      name: c.name,
      startsOn: c.startsOn,
      endsOn: c.endsOn,
      level: contractLevel.get(c.id) ?? 'inherit',
    });
  }
  for (const s of catalogue.extraServices) serviceOf(s);
  const list = [...byId.values()].sort((a, b) => a.name.localeCompare(b.name) || a.key.localeCompare(b.key));
  return { group, revision: revisionOf(rows), services: list };
}

/** The permission form of a group (tenant administrators only: `groups.manage`). */
export async function loadGroupPermissions(db: Db, actor: Actor, groupId: string): Promise<GroupPermissionsView> {
  const { group } = await authorize(db, actor, 'groups.manage', { type: 'group', id: groupId });
  const rows = await loadRows(db, group.id);
  const catalogue = await loadCatalogue(db, group.tenantId, rows);
  return buildView({ id: group.id, tenantId: group.tenantId, name: group.name }, rows, catalogue);
}

// ---------------------------------------------------------------------------------------------
// Saving

function isServiceLevel(v: string): v is ServiceLevel {
  return (SERVICE_LEVELS as readonly string[]).includes(v);
}
function isContractLevel(v: string): v is ContractLevel {
  return (CONTRACT_LEVELS as readonly string[]).includes(v);
}

/**
 * Applies the whole permission form in one transaction, or nothing: refused when the form is
 * stale (another save since `revision`), names an unknown service or contract, or holds a level
 * that is not one of the allowed words. Records one `group.permissions` audit event with what
 * changed; a save that changes nothing records nothing.
 */
export async function saveGroupPermissions(db: Db, actor: Actor, groupId: string, input: SavePermissionsInput): Promise<SavePermissionsResult> {
  return db.transaction(async (tx) => {
    await authorize(tx, actor, 'groups.manage', { type: 'group', id: groupId });
    // Concurrent saves of the same group serialise here; the second then sees a new revision.
    const [group] = await tx.select().from(userGroups).where(eq(userGroups.id, groupId)).for('update').limit(1);
    if (!group) throw new NotFoundError('group');

    const rows = await loadRows(tx, group.id);
    if (input.revision !== revisionOf(rows)) throw new DomainError('stale_form', 'permissions.errors.stale');

    const view = buildView(group, rows, await loadCatalogue(tx, group.tenantId, rows));
    const serviceByKey = new Map(view.services.map((s) => [s.key, s]));
    const contractByCode = new Map(view.services.flatMap((s) => s.contracts.map((c) => [c.code.toLowerCase(), { service: s, contract: c }] as const)));

    // Validate everything before writing anything.
    const serviceChanges: { service: PermissionService; from: ServiceLevel; to: ServiceLevel }[] = [];
    for (const [key, level] of Object.entries(input.services)) {
      const service = serviceByKey.get(key) ?? serviceByKey.get(key.toLowerCase());
      if (!service) throw new DomainError('unknown_service', 'permissions.errors.unknownService', { key });
      if (!isServiceLevel(level)) throw new DomainError('invalid_level', 'permissions.errors.invalidServiceLevel', { key: service.key, level });
      if (level !== service.level) serviceChanges.push({ service, from: service.level, to: level });
    }
    const contractChanges: { contract: PermissionContract; from: ContractLevel; to: ContractLevel }[] = [];
    for (const [code, level] of Object.entries(input.contracts)) {
      const found = contractByCode.get(code.toLowerCase());
      // Another tenant's contract is as unknown here as a made-up code.
      if (!found) throw new DomainError('unknown_contract', 'permissions.errors.unknownContract', { code });
      if (!isContractLevel(level)) throw new DomainError('invalid_level', 'permissions.errors.invalidContractLevel', { code: found.contract.code, level });
      if (level !== found.contract.level) contractChanges.push({ contract: found.contract, from: found.contract.level, to: level });
    }

    if (serviceChanges.length === 0 && contractChanges.length === 0) return { changed: false, revision: view.revision };

    // One statement per kind of write, whatever the number of rows the form changes.
    const removedServices = serviceChanges.filter((c) => c.to === 'none').map((c) => c.service.id);
    if (removedServices.length > 0) {
      await tx
        .delete(groupServicePermissions)
        .where(and(eq(groupServicePermissions.groupId, group.id), inArray(groupServicePermissions.serviceId, removedServices)));
    }
    const serviceRows = serviceChanges.flatMap(({ service, to }) => (to === 'none' ? [] : [{ groupId: group.id, serviceId: service.id, level: to }]));
    if (serviceRows.length > 0) {
      await tx
        .insert(groupServicePermissions)
        .values(serviceRows)
        .onConflictDoUpdate({
          target: [groupServicePermissions.groupId, groupServicePermissions.serviceId],
          set: { level: sql`excluded.level`, updatedAt: sql`now()` },
        });
    }
    const cleared = contractChanges.filter((c) => c.to === 'inherit').map((c) => c.contract.id);
    if (cleared.length > 0) {
      await tx
        .delete(groupContractPermissions)
        .where(and(eq(groupContractPermissions.groupId, group.id), inArray(groupContractPermissions.contractId, cleared)));
    }
    const contractRows = contractChanges.flatMap(({ contract, to }) =>
      to === 'inherit' ? [] : [{ tenantId: group.tenantId, groupId: group.id, contractId: contract.id, level: to }],
    );
    if (contractRows.length > 0) {
      await tx
        .insert(groupContractPermissions)
        .values(contractRows)
        .onConflictDoUpdate({
          target: [groupContractPermissions.groupId, groupContractPermissions.contractId],
          set: { level: sql`excluded.level`, updatedAt: sql`now()` },
        });
    }

    const before: { services?: Record<string, string>; contracts?: Record<string, string> } = {};
    const after: typeof before = {};
    if (serviceChanges.length > 0) {
      before.services = Object.fromEntries(serviceChanges.map((c) => [c.service.key, c.from]));
      after.services = Object.fromEntries(serviceChanges.map((c) => [c.service.key, c.to]));
    }
    if (contractChanges.length > 0) {
      before.contracts = Object.fromEntries(contractChanges.map((c) => [c.contract.code, c.from]));
      after.contracts = Object.fromEntries(contractChanges.map((c) => [c.contract.code, c.to]));
    }
    await recordAudit(tx, {
      tenantId: group.tenantId,
      actor: auditActor(actor),
      action: 'group.permissions',
      target: { type: 'group', id: group.id, label: group.name },
      before,
      after,
    });
    return { changed: true, revision: revisionOf(await loadRows(tx, group.id)) };
  });
}
