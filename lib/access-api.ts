import { performance } from 'node:perf_hooks';
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { tenantMembers, users, type MemberStatus } from '@/db/schema';
import { loadMemberAccess, resolveAccessFilter, type AccessLevel, type AccessReason, type AccessServiceResult } from '@/lib/access';
import { authenticateApiToken } from '@/lib/api-tokens';
import { decideInScope } from '@/lib/authz';
import { CONTRACT_CODE_MAX, SERVICE_KEY_MAX } from '@/lib/catalog';
import { zEmail } from '@/lib/validation';

/*
 * `GET /api/v1/access?user=EMAIL&service=KEY&contract=CODE` (docs/api.md): a member's effective
 * access as JSON, for the services that rely on Tenantry. Framework-free (a web `Request` in, a
 * `Response` out) so the route handler is one line and tests run it against their own database.
 *
 * Order of checks: the token (401), the owner's right to read access (403), the query's shape
 * (400), then the user, service and contract of the token's tenant (404). Everything is looked up
 * in the token's tenant only: a member of another tenant is "user_not_found", like nobody.
 */

// Loose on purpose (the address is only looked up); rejects what cannot be an address at all.

/** The public form of a reason: group names and how they apply, no internal ids. */
export type ApiReason =
  | { kind: 'inactive'; status: Exclude<MemberStatus, 'active'> }
  | { kind: 'serviceAccessOff' }
  | { kind: 'noGrant'; deniedBy: { group: string; via: 'service' | 'contract' }[] }
  | { kind: 'granted'; groups: { group: string; via: 'service' | 'contract' }[] };

export interface ApiContractAccess {
  code: string;
  name: string;
  startsOn: string | null;
  endsOn: string | null;
  level: AccessLevel;
  reason: ApiReason;
  /** The names of the groups that grant `level` (empty when the level is none). */
  groups: string[];
}

export interface ApiServiceAccess {
  key: string;
  name: string;
  nameJa: string | null;
  serviceAccess: boolean;
  contracts: ApiContractAccess[];
}

export interface AccessResponseBody {
  user: string;
  status: MemberStatus;
  /** Present when the query names a contract: the level on that contract. */
  level?: AccessLevel;
  services: ApiServiceAccess[];
}

export type AccessErrorCode =
  | 'unauthorized'
  | 'forbidden'
  | 'invalid_request'
  | 'user_not_found'
  | 'service_not_found'
  | 'contract_not_found'
  | 'internal_error';

function publicReason(reason: AccessReason): ApiReason {
  switch (reason.kind) {
    case 'inactive':
    case 'serviceAccessOff':
      return reason;
    case 'noGrant':
      return { kind: 'noGrant', deniedBy: reason.deniedBy.map((g) => ({ group: g.name, via: g.via })) };
    case 'granted':
      return { kind: 'granted', groups: reason.groups.map((g) => ({ group: g.name, via: g.via })) };
  }
}

function publicService(service: AccessServiceResult): ApiServiceAccess {
  return {
    key: service.key,
    name: service.name,
    nameJa: service.nameJa,
    serviceAccess: service.serviceAccess,
    contracts: service.contracts.map((c) => ({
      code: c.code,
      name: c.name,
      startsOn: c.startsOn,
      endsOn: c.endsOn,
      level: c.level,
      reason: publicReason(c.reason),
      groups: c.reason.kind === 'granted' ? c.reason.groups.map((g) => g.name) : [],
    })),
  };
}

interface AccessQuery {
  email: string;
  serviceKey?: string;
  contractCode?: string;
}

/** The query string, or the message of a 400. Empty `service`/`contract` count as absent. */
function parseQuery(url: URL): AccessQuery | { invalid: string } {
  const params = url.searchParams;
  for (const name of ['user', 'service', 'contract']) {
    if (params.getAll(name).length > 1) return { invalid: `"${name}" may be given once` };
  }
  const email = params.get('user')?.trim() ?? '';
  if (!email) return { invalid: '"user" is required: the email address of a member of the tenant' };
  if (!zEmail.safeParse(email).success) return { invalid: '"user" is not an email address of at most 254 characters' };
  const serviceKey = params.get('service')?.trim() || undefined;
  if (serviceKey && serviceKey.length > SERVICE_KEY_MAX) return { invalid: `"service" is longer than ${SERVICE_KEY_MAX} characters` };
  const contractCode = params.get('contract')?.trim() || undefined;
  if (contractCode && contractCode.length > CONTRACT_CODE_MAX) return { invalid: `"contract" is longer than ${CONTRACT_CODE_MAX} characters` };
  return { email, serviceKey, contractCode };
}

/** The tenant's member with this email (case-insensitive), or null; other tenants' members are null too. */
async function findMemberByEmail(db: Db, tenantId: string, email: string) {
  const [row] = await db
    .select({ memberId: tenantMembers.id, email: users.email })
    .from(users)
    .innerJoin(tenantMembers, and(eq(tenantMembers.userId, users.id), eq(tenantMembers.tenantId, tenantId)))
    .where(eq(sql`lower(${users.email})`, email.toLowerCase()))
    .limit(1);
  return row ?? null;
}

/** Answers one access request. `db` is the pool (the handler's reads run side by side on it). */
export async function handleAccessRequest(db: Db, request: Request): Promise<Response> {
  const started = performance.now();
  const reply = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    new Response(JSON.stringify(body), {
      status,
      headers: {
        'Content-Type': 'application/json; charset=utf-8',
        'Cache-Control': 'no-store',
        'Server-Timing': `app;dur=${(performance.now() - started).toFixed(2)}`,
        ...headers,
      },
    });
  const error = (status: number, code: AccessErrorCode, message?: string, headers?: Record<string, string>) =>
    reply(status, message ? { error: code, message } : { error: code }, headers);

  try {
    const header = request.headers.get('authorization');
    const auth = await authenticateApiToken(db, header);
    if (!auth) {
      // RFC 6750: a bare challenge when no token came, `invalid_token` when one did and failed.
      return error(401, 'unauthorized', undefined, { 'WWW-Authenticate': header ? 'Bearer error="invalid_token"' : 'Bearer' });
    }
    const tenantId = auth.tenant.id;
    const query = parseQuery(new URL(request.url));

    // The owner's right, decided by lib/authz from the actor just loaded (tenant admin or not) and
    // the token's tenant: no query of its own. Org-admin subtrees are not loaded: access.view on a
    // tenant is a tenant admin's alone, so they could only ever turn a "no" into a "no".
    if (decideInScope(auth.actor, { kind: 'none' }, 'access.view', { type: 'tenant', tenantId }) !== 'allow') {
      return error(403, 'forbidden', "the token's owner may not read effective access in this tenant");
    }
    if ('invalid' in query) return error(400, 'invalid_request', query.invalid);

    // Independent reads, issued together: the user, the service and the contract.
    const [member, filter] = await Promise.all([
      findMemberByEmail(db, tenantId, query.email),
      !query.serviceKey && !query.contractCode ? null : resolveAccessFilter(db, tenantId, { serviceKey: query.serviceKey, contractCode: query.contractCode }),
    ]);
    if (!member) return error(404, 'user_not_found');
    if (query.serviceKey && !filter?.serviceId) return error(404, 'service_not_found');
    if (query.contractCode && !filter?.contractId) return error(404, 'contract_not_found');
    if (query.serviceKey && query.contractCode && filter?.contractServiceId !== filter?.serviceId) {
      return error(404, 'contract_not_found', 'the contract is not a contract of this service');
    }

    const access = await loadMemberAccess(db, tenantId, member.memberId, {
      serviceId: filter?.serviceId ?? undefined,
      contractId: filter?.contractId ?? undefined,
    });
    // Removed between the two reads.
    if (!access) return error(404, 'user_not_found');
    const body: AccessResponseBody = { user: member.email, status: access.status, services: access.services.map(publicService) };
    if (query.contractCode) {
      const level = access.services[0]?.contracts[0]?.level ?? 'none';
      return reply(200, { user: body.user, status: body.status, level, services: body.services });
    }
    return reply(200, body);
  } catch (err) {
    // Never log the request's headers: they carry the secret.
    console.error('access api: request failed:', err instanceof Error ? err.message : err);
    return error(500, 'internal_error');
  }
}
