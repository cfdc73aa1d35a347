import { randomBytes } from 'node:crypto';
import { and, desc, eq, sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { apiTokens, tenantMembers, tenants, users } from '@/db/schema';
import { loadActor, type Actor } from '@/lib/actor';
import { auditActor, recordAudit } from '@/lib/audit';
import { authorize } from '@/lib/authz';
import { DomainError, NotFoundError } from '@/lib/errors';
import { hashSecret } from '@/lib/secret-hash';
import { isUuid } from '@/lib/validation';

/*
 * Tenant API tokens (`Authorization: Bearer tnt_…`) for the services that ask Tenantry who may
 * do what. The secret is `tnt_` + 32 random bytes (base64url); only its SHA-256 is stored, so a
 * lookup by hash is the comparison (no secret is ever compared, stored, logged or audited). A
 * token acts as its owner, the tenant admin who created it: it can never do more than the owner
 * can now, and stops working when the owner is deactivated or removed.
 */

export const API_TOKEN_PREFIX = 'tnt_';
/** `tnt_` + 43 base64url characters (32 bytes). */
const SECRET_SHAPE = /^tnt_[A-Za-z0-9_-]{43}$/;
/** Characters of the secret kept in clear so admins can tell tokens apart (`tnt_` + 8). */
const PREFIX_LENGTH = 12;
export const API_TOKEN_NAME_MAX = 100;
/** The lifetimes offered; null = never expires. */
export const API_TOKEN_EXPIRY_DAYS = [30, 90, 365] as const;
export type ApiTokenExpiryDays = (typeof API_TOKEN_EXPIRY_DAYS)[number];
/** `last_used_at` is written at most this often per token (not one write per request). */
const LAST_USED_RESOLUTION_MS = 60_000;

export type ApiTokenState = 'active' | 'expired' | 'revoked';

/** A token as admins see it: never the secret nor its hash. */
export interface ApiTokenSummary {
  id: string;
  name: string;
  prefix: string;
  owner: { memberId: string; email: string; firstName: string; lastName: string };
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  state: ApiTokenState;
}

function newSecret(): string {
  return `${API_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function apiTokenState(token: { expiresAt: Date | null; revokedAt: Date | null }, now = new Date()): ApiTokenState {
  if (token.revokedAt) return 'revoked';
  if (token.expiresAt && token.expiresAt.getTime() <= now.getTime()) return 'expired';
  return 'active';
}

/** What the audit log keeps of a token: readable fields, never the secret or its hash. */
function auditSnapshot(token: { name: string; prefix: string; expiresAt: Date | null }, ownerEmail: string) {
  return { name: token.name, prefix: token.prefix, owner: ownerEmail, expiresAt: token.expiresAt?.toISOString() ?? null };
}

function tenantOf(actor: Actor): string {
  // No tenant (a platform page): nothing to find.
  if (!actor.tenant) throw new NotFoundError('tenant');
  return actor.tenant.id;
}

function checkName(raw: string): string {
  const name = raw.trim();
  if (name.length === 0) throw new DomainError('api_token_name_required', 'apiTokens.errors.nameRequired', {}, 'name');
  if (/\p{Cc}/u.test(name)) throw new DomainError('api_token_name_invalid', 'apiTokens.errors.nameInvalid', {}, 'name');
  // Counted in characters, as the table's check counts them.
  if ([...name].length > API_TOKEN_NAME_MAX) {
    throw new DomainError('api_token_name_too_long', 'apiTokens.errors.nameTooLong', { max: API_TOKEN_NAME_MAX }, 'name');
  }
  return name;
}

/**
 * Creates a token acting as the actor (a tenant admin): returns the secret, which exists only in
 * this return value. Audited as `apiToken.create`.
 */
export async function createApiToken(
  db: Db,
  actor: Actor,
  input: { name: string; expiresInDays?: ApiTokenExpiryDays | null },
): Promise<{ secret: string; token: ApiTokenSummary }> {
  const tenantId = tenantOf(actor);
  const days = input.expiresInDays ?? null;
  if (days !== null && !(API_TOKEN_EXPIRY_DAYS as readonly number[]).includes(days)) {
    throw new DomainError('api_token_expiry_invalid', 'apiTokens.errors.expiry', {}, 'expiresIn');
  }
  return db.transaction(async (tx) => {
    await authorize(tx, actor, 'apiTokens.manage', { type: 'tenant', id: tenantId });
    const name = checkName(input.name);
    // authorize allowed a tenant admin of this tenant: the actor is an active member of it.
    const memberId = actor.memberId;
    if (!memberId) throw new NotFoundError('tenant');
    const secret = newSecret();
    const [row] = await tx
      .insert(apiTokens)
      .values({
        tenantId,
        memberId,
        name,
        tokenHash: hashSecret(secret),
        prefix: secret.slice(0, PREFIX_LENGTH),
        expiresAt: days === null ? null : sql`now() + make_interval(days => ${days})`,
      })
      .returning();
    if (!row) throw new Error('api token insert returned nothing');
    await recordAudit(tx, {
      tenantId,
      actor: auditActor(actor),
      action: 'apiToken.create',
      target: { type: 'apiToken', id: row.id, label: `${row.name} (${row.prefix}…)` },
      before: null,
      after: auditSnapshot(row, actor.email),
    });
    const token: ApiTokenSummary = {
      id: row.id,
      name: row.name,
      prefix: row.prefix,
      owner: { memberId, email: actor.email, firstName: actor.firstName, lastName: actor.lastName },
      createdAt: row.createdAt,
      expiresAt: row.expiresAt,
      lastUsedAt: row.lastUsedAt,
      revokedAt: row.revokedAt,
      state: 'active',
    };
    return { secret, token };
  });
}

/** Every token of the actor's tenant, newest first (active, expired and revoked alike). */
export async function listApiTokens(db: Db, actor: Actor, now = new Date()): Promise<ApiTokenSummary[]> {
  const tenantId = tenantOf(actor);
  await authorize(db, actor, 'apiTokens.manage', { type: 'tenant', id: tenantId });
  const rows = await db
    .select({
      id: apiTokens.id,
      name: apiTokens.name,
      prefix: apiTokens.prefix,
      createdAt: apiTokens.createdAt,
      expiresAt: apiTokens.expiresAt,
      lastUsedAt: apiTokens.lastUsedAt,
      revokedAt: apiTokens.revokedAt,
      memberId: tenantMembers.id,
      email: users.email,
      firstName: users.firstName,
      lastName: users.lastName,
    })
    .from(apiTokens)
    .innerJoin(tenantMembers, eq(tenantMembers.id, apiTokens.memberId))
    .innerJoin(users, eq(users.id, tenantMembers.userId))
    .where(eq(apiTokens.tenantId, tenantId))
    .orderBy(desc(apiTokens.createdAt), desc(apiTokens.id));
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    owner: { memberId: r.memberId, email: r.email, firstName: r.firstName, lastName: r.lastName },
    createdAt: r.createdAt,
    expiresAt: r.expiresAt,
    lastUsedAt: r.lastUsedAt,
    revokedAt: r.revokedAt,
    state: apiTokenState(r, now),
  }));
}

/**
 * Revokes a token of the actor's tenant at once (the next request with it is refused). Another
 * tenant's token is NOT FOUND; an already revoked one is a clear error. Audited as `apiToken.revoke`.
 */
export async function revokeApiToken(db: Db, actor: Actor, tokenId: string): Promise<{ name: string; prefix: string }> {
  if (!isUuid(tokenId)) throw new NotFoundError('apiToken');
  return db.transaction(async (tx) => {
    const [row] = await tx
      .select({ token: apiTokens, ownerEmail: users.email })
      .from(apiTokens)
      .innerJoin(tenantMembers, eq(tenantMembers.id, apiTokens.memberId))
      .innerJoin(users, eq(users.id, tenantMembers.userId))
      .where(eq(apiTokens.id, tokenId))
      .for('update', { of: apiTokens });
    if (!row) throw new NotFoundError('apiToken');
    // Decided from the token's own tenant: another tenant's token is not found.
    await authorize(tx, actor, 'apiTokens.manage', { type: 'tenant', id: row.token.tenantId });
    if (row.token.revokedAt) throw new DomainError('api_token_revoked', 'apiTokens.errors.alreadyRevoked');
    await tx.update(apiTokens).set({ revokedAt: sql`now()` }).where(eq(apiTokens.id, row.token.id));
    // `state` reads "Open → Revoked" (or "Expired → Revoked") with the audit screen's existing labels.
    const stateBefore = apiTokenState(row.token) === 'expired' ? 'expired' : 'open';
    await recordAudit(tx, {
      tenantId: row.token.tenantId,
      actor: auditActor(actor),
      action: 'apiToken.revoke',
      target: { type: 'apiToken', id: row.token.id, label: `${row.token.name} (${row.token.prefix}…)` },
      before: { ...auditSnapshot(row.token, row.ownerEmail), state: stateBefore },
      after: { ...auditSnapshot(row.token, row.ownerEmail), state: 'revoked' },
    });
    return { name: row.token.name, prefix: row.token.prefix };
  });
}

/** A request authenticated by an API token: the token's tenant and its owner acting in it. */
export interface ApiTokenAuth {
  tokenId: string;
  tenant: { id: string; slug: string; name: string };
  actor: Actor;
}

/** The secret of an `Authorization: Bearer …` header, or null when absent or not shaped like one. */
export function bearerSecret(header: string | null | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer +(\S+) *$/i.exec(header);
  const secret = match?.[1];
  return secret && SECRET_SHAPE.test(secret) ? secret : null;
}

/**
 * Resolves an `Authorization` header to the token's tenant and an Actor for its owner. Null when
 * the header is missing or malformed, the token unknown, revoked or expired, or the owner may no
 * longer act in the tenant (deactivated, removed, gone). Records when the token was last used, at
 * most once a minute.
 */
export async function authenticateApiToken(db: Db, authorizationHeader: string | null | undefined, now = new Date()): Promise<ApiTokenAuth | null> {
  const secret = bearerSecret(authorizationHeader);
  if (!secret) return null;
  // Looked up by hash (a unique index): the secret itself is never compared.
  const [row] = await db
    .select({
      id: apiTokens.id,
      expiresAt: apiTokens.expiresAt,
      revokedAt: apiTokens.revokedAt,
      lastUsedAt: apiTokens.lastUsedAt,
      tenantSlug: tenants.slug,
      userId: tenantMembers.userId,
    })
    .from(apiTokens)
    .innerJoin(tenants, eq(tenants.id, apiTokens.tenantId))
    .innerJoin(tenantMembers, eq(tenantMembers.id, apiTokens.memberId))
    .where(eq(apiTokens.tokenHash, hashSecret(secret)))
    .limit(1);
  if (!row || apiTokenState(row, now) !== 'active') return null;
  const actor = await loadActor(db, row.userId, { tenantSlug: row.tenantSlug });
  if (!actor?.tenant) return null;
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
    // Conditional: concurrent requests of the same minute write once.
    await db
      .update(apiTokens)
      .set({ lastUsedAt: sql`now()` })
      .where(and(eq(apiTokens.id, row.id), sql`(${apiTokens.lastUsedAt} is null or ${apiTokens.lastUsedAt} < now() - interval '1 minute')`));
  }
  return { tokenId: row.id, tenant: actor.tenant, actor };
}
