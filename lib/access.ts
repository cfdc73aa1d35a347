import { sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import {
  contracts,
  groupContractPermissions,
  groupMembers,
  groupServicePermissions,
  serviceAccess,
  services,
  tenantMembers,
  userGroups,
  type ContractPermissionLevel,
  type MemberStatus,
  type PermissionLevel,
} from '@/db/schema';

/*
 * Effective access (SPEC §1), the one computation used by the user page, the access API and the
 * benchmark: for a member, service and contract, `none` unless the member is active and has
 * service access; otherwise the highest level any of the member's groups grants for that
 * contract, where a group's per-contract entry (`none` included) beats its service-wide entry.
 */

export const ACCESS_LEVELS = ['none', 'view', 'edit'] as const;
export type AccessLevel = (typeof ACCESS_LEVELS)[number];
const RANK: Record<AccessLevel, number> = { none: 0, view: 1, edit: 2 };

/** One of the member's groups with its permissions (service id → level, contract id → level). */
export interface GroupPermissions {
  id: string;
  name: string;
  services: ReadonlyMap<string, PermissionLevel>;
  contracts: ReadonlyMap<string, ContractPermissionLevel>;
}

/** Everything the rule needs about one member. */
export interface AccessFacts {
  status: MemberStatus;
  /** Ids of the services the member's service access is on for. */
  serviceAccess: ReadonlySet<string>;
  groups: readonly GroupPermissions[];
}

export interface ContractRef {
  id: string;
  serviceId: string;
}

/** A group named in a reason, and whether its service-wide or its per-contract entry decided. */
export interface GroupSource {
  id: string;
  name: string;
  via: 'service' | 'contract';
}

/** Why the member gets the level they get. */
export type AccessReason =
  | { kind: 'inactive'; status: Exclude<MemberStatus, 'active'> }
  | { kind: 'serviceAccessOff' }
  /** No group grants anything; `deniedBy` lists groups whose per-contract `none` overrides their service-wide level. */
  | { kind: 'noGrant'; deniedBy: GroupSource[] }
  /** Every group that grants the resulting level. */
  | { kind: 'granted'; groups: GroupSource[] };

export interface ContractAccess {
  level: AccessLevel;
  reason: AccessReason;
}

/** One group's level on a contract: its per-contract entry if it has one, else its service-wide entry. */
export function groupLevel(group: GroupPermissions, contract: ContractRef): { level: AccessLevel; via: GroupSource['via'] | null } {
  const perContract = group.contracts.get(contract.id);
  if (perContract !== undefined) return { level: perContract, via: 'contract' };
  const perService = group.services.get(contract.serviceId);
  return perService === undefined ? { level: 'none', via: null } : { level: perService, via: 'service' };
}

/** The member's effective level on one contract, and why. */
export function effectiveContractAccess(facts: AccessFacts, contract: ContractRef): ContractAccess {
  if (facts.status !== 'active') return { level: 'none', reason: { kind: 'inactive', status: facts.status } };
  if (!facts.serviceAccess.has(contract.serviceId)) return { level: 'none', reason: { kind: 'serviceAccessOff' } };
  let best: AccessLevel = 'none';
  let granting: GroupSource[] = [];
  const deniedBy: GroupSource[] = [];
  for (const group of facts.groups) {
    const { level, via } = groupLevel(group, contract);
    if (via === null) continue;
    if (level === 'none') {
      if (group.services.has(contract.serviceId)) deniedBy.push({ id: group.id, name: group.name, via });
      continue;
    }
    if (RANK[level] > RANK[best]) {
      best = level;
      granting = [];
    }
    if (level === best) granting.push({ id: group.id, name: group.name, via });
  }
  if (best === 'none') return { level: 'none', reason: { kind: 'noGrant', deniedBy: byName(deniedBy) } };
  return { level: best, reason: { kind: 'granted', groups: byName(granting) } };
}

function byName(groups: GroupSource[]): GroupSource[] {
  return groups.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}

// ---------------------------------------------------------------------------------------------
// Loading from the database

export interface AccessServiceResult {
  id: string;
  key: string;
  name: string;
  nameJa: string | null;
  serviceAccess: boolean;
  contracts: ({ id: string; code: string; name: string; startsOn: string | null; endsOn: string | null } & ContractAccess)[];
}

export interface MemberAccess {
  status: MemberStatus;
  /** The tenant's services that have contracts, by name; each with its contracts by code. */
  services: AccessServiceResult[];
}

/** Narrows the computation to one service and/or one contract (ids, already resolved in the tenant). */
export interface AccessFilter {
  serviceId?: string;
  contractId?: string;
}

/**
 * A member's effective access over the tenant's contracts (optionally one service or contract).
 * Null when the member is not in the tenant. Callers authorize first; this only reads.
 */
export async function loadMemberAccess(db: Db, tenantId: string, memberId: string, filter: AccessFilter = {}): Promise<MemberAccess | null> {
  // One statement, one round trip (the access API's latency budget is a few milliseconds): the
  // member's status, service access, their groups' service-wide and per-contract entries, and the
  // contracts in question, each aggregated as JSON.
  const serviceOnly = filter.serviceId ? sql`and ${contracts.serviceId} = ${filter.serviceId}` : sql``;
  const contractOnly = filter.contractId ? sql`and ${contracts.id} = ${filter.contractId}` : sql``;
  const permServiceOnly = filter.serviceId ? sql`and p.service_id = ${filter.serviceId}` : sql``;
  const [row] = await db.execute<{
    status: MemberStatus | null;
    access: JsonColumn<string[]>;
    service_perms: JsonColumn<[string, string, string, PermissionLevel][]>;
    contract_perms: JsonColumn<[string, string, string, ContractPermissionLevel][]>;
    contracts: JsonColumn<[string, string, string, string | null, string | null, string, string, string, string | null][]>;
  }>(sql`
    with member_groups as (
      select g.id, g.name
      from ${groupMembers} gm
      join ${userGroups} g on g.id = gm.group_id
      where gm.member_id = ${memberId} and gm.tenant_id = ${tenantId}
    )
    select
      (select m.status from ${tenantMembers} m where m.id = ${memberId} and m.tenant_id = ${tenantId}) as status,
      (select coalesce(json_agg(a.service_id), '[]') from ${serviceAccess} a where a.member_id = ${memberId} and a.tenant_id = ${tenantId}) as access,
      (select coalesce(json_agg(json_build_array(mg.id, mg.name, p.service_id, p.level)), '[]')
         from member_groups mg join ${groupServicePermissions} p on p.group_id = mg.id
         where true ${permServiceOnly}) as service_perms,
      (select coalesce(json_agg(json_build_array(mg.id, mg.name, p.contract_id, p.level)), '[]')
         from member_groups mg
         join ${groupContractPermissions} p on p.group_id = mg.id
         join ${contracts} on ${contracts.id} = p.contract_id
         where ${contracts.tenantId} = ${tenantId} ${serviceOnly} ${contractOnly}) as contract_perms,
      (select coalesce(json_agg(json_build_array(${contracts.id}, ${contracts.code}, ${contracts.name}, ${contracts.startsOn}, ${contracts.endsOn},
                                                 ${services.id}, ${services.key}, ${services.name}, ${services.nameJa})
                                order by ${services.name}, ${services.key}, lower(${contracts.code})), '[]')
         from ${contracts} join ${services} on ${services.id} = ${contracts.serviceId}
         where ${contracts.tenantId} = ${tenantId} ${serviceOnly} ${contractOnly}) as contracts
  `);
  if (!row?.status) return null;

  const groups = new Map<string, { id: string; name: string; services: Map<string, PermissionLevel>; contracts: Map<string, ContractPermissionLevel> }>();
  const groupOf = (id: string, name: string) => {
    let group = groups.get(id);
    if (!group) groups.set(id, (group = { id, name, services: new Map(), contracts: new Map() }));
    return group;
  };
  for (const [groupId, groupName, serviceId, level] of json(row.service_perms)) groupOf(groupId, groupName).services.set(serviceId, level);
  for (const [groupId, groupName, contractId, level] of json(row.contract_perms)) groupOf(groupId, groupName).contracts.set(contractId, level);
  const facts: AccessFacts = { status: row.status, serviceAccess: new Set(json(row.access)), groups: [...groups.values()] };

  const byService = new Map<string, AccessServiceResult>();
  for (const [id, code, name, startsOn, endsOn, serviceId, serviceKey, serviceName, serviceNameJa] of json(row.contracts)) {
    let service = byService.get(serviceId);
    if (!service) {
      service = { id: serviceId, key: serviceKey, name: serviceName, nameJa: serviceNameJa, serviceAccess: facts.serviceAccess.has(serviceId), contracts: [] };
      byService.set(serviceId, service);
    }
    service.contracts.push({ id, code, name, startsOn, endsOn, ...effectiveContractAccess(facts, { id, serviceId }) });
  }
  return { status: facts.status, services: [...byService.values()] };
}

/** A json column as the driver hands it over: parsed, or the raw text when no parser is set. */
type JsonColumn<T> = T | string;

function json<T>(value: JsonColumn<T>): T {
  return typeof value === 'string' ? (JSON.parse(value) as T) : value;
}

/** Resolves a service key and/or contract code (case-insensitive) within a tenant; null parts when unknown. */
export async function resolveAccessFilter(
  db: Db,
  tenantId: string,
  keys: { serviceKey?: string; contractCode?: string },
): Promise<{ serviceId: string | null; contractId: string | null; contractServiceId: string | null }> {
  const none = { serviceId: null, contractId: null, contractServiceId: null };
  if (!keys.serviceKey && !keys.contractCode) return none;
  // One statement for both (one round trip); an absent key joins nothing.
  const serviceMatch = keys.serviceKey ? sql`${services.key} = ${keys.serviceKey.toLowerCase()}` : sql`false`;
  const contractMatch = keys.contractCode
    ? sql`${contracts.tenantId} = ${tenantId} and lower(${contracts.code}) = ${keys.contractCode.toLowerCase()}`
    : sql`false`;
  const [row] = await db.execute<{ service_id: string | null; contract_id: string | null; contract_service_id: string | null }>(sql`
    select ${services.id} as service_id, ${contracts.id} as contract_id, ${contracts.serviceId} as contract_service_id
    from (select 1) as one
    left join ${services} on ${serviceMatch}
    left join ${contracts} on ${contractMatch}
    limit 1`);
  return row ? { serviceId: row.service_id, contractId: row.contract_id, contractServiceId: row.contract_service_id } : none;
}
