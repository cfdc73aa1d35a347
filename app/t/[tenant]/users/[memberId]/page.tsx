import type { Metadata } from 'next';
import { getFormatter, getLocale, getTranslations } from 'next-intl/server';
import { cache } from 'react';
import { orNotFound } from '@/app/_lib/not-found';
import { canInTenant, getAdminScope, requireActor } from '@/app/_lib/session';
import { EffectiveAccessCard } from '@/components/access/effective-access-card';
import { AuditHistory } from '@/components/audit/audit-history';
import { MemberGroupsCard } from '@/components/groups/member-groups-card';
import { ActionForm } from '@/components/forms/action-form';
import { InvitationBounceNotice } from '@/components/invitations/bounce-notice';
import { SubmitButton } from '@/components/forms/fields';
import { AppShell } from '@/components/shell/app-shell';
import { Alert } from '@/components/ui/alert';
import { Badge } from '@/components/ui/badge';
import { Breadcrumbs } from '@/components/ui/breadcrumbs';
import {
  InvitationSection,
  type MemberPageActions,
  MemberStatusBadge,
  OrganizationsSection,
  ProfileSection,
  ServicesSection,
  StatusSection,
  TenantAdminSection,
} from '@/components/users/member-sections';
import { getDb } from '@/db/client';
import type { Actor } from '@/lib/actor';
import { formatPersonName } from '@/lib/i18n/person-name';
import { invitationStateOf } from '@/lib/invitations';
import { loadMemberProfile, type MemberProfile } from '@/lib/users';
import * as a from './actions';

type Params = { params: Promise<{ tenant: string; memberId: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> };

const ACTIONS: MemberPageActions = {
  updateMember: a.updateMemberAction,
  setServiceAccess: a.setServiceAccessAction,
  setStatus: a.setStatusAction,
  removeMember: a.removeMemberAction,
  removeMembership: a.removeMembershipAction,
  setMembershipAdmin: a.setMembershipAdminAction,
  setTenantAdmin: a.setTenantAdminAction,
  resendInvitation: a.resendInvitationAction,
  revokeInvitation: a.revokeInvitationAction,
};

const NOTICES = ['invited', 'invitationNotSent', 'addedToOrg', 'addedRegistered', 'addedRegisteredNoEmail', 'invitationSent'] as const;
type Notice = (typeof NOTICES)[number];

/** The profile, once per request (metadata and page); unknown, other tenants' and out-of-scope ids are not found. */
const load = cache(async (slug: string, memberId: string): Promise<{ actor: Actor; profile: MemberProfile }> => {
  const actor = await requireActor(slug);
  return { actor, profile: await orNotFound(loadMemberProfile(getDb(), actor, memberId)) };
});

export async function generateMetadata({ params }: Params): Promise<Metadata> {
  const { tenant, memberId } = await params;
  const { profile } = await load(tenant, memberId);
  return { title: formatPersonName(profile.user, await getLocale()) };
}

export default async function UserPage({ params, searchParams }: Params) {
  const { tenant: slug, memberId } = await params;
  const query = await searchParams;
  const { actor, profile } = await load(slug, memberId);
  const tenant = actor.tenant!;
  const db = getDb();
  const [t, tu, locale, format, invitation, scope, managesGroups] = await Promise.all([
    getTranslations('userPage'),
    getTranslations('users'),
    getLocale(),
    getFormatter(),
    invitationStateOf(db, profile.memberId),
    getAdminScope(actor),
    // Groups and contracts are tenant-wide metadata: tenant administrators only (SPEC §2).
    canInTenant(actor, 'groups.manage'),
  ]);
  const name = formatPersonName(profile.user, locale);
  const hasName = Boolean(profile.user.firstName || profile.user.lastName);
  const base = `/t/${tenant.slug}`;
  const notice = NOTICES.find((n) => n === query.notice) as Notice | undefined;
  // The org a notice names: one of the member's memberships the actor sees (a name from the DB, never URL text).
  const org = profile.memberships.find((m) => m.orgId === query.org)?.orgPath ?? '';
  const sections = { profile, actions: ACTIONS, tenant: { slug: tenant.slug, name: tenant.name }, name };
  const nameParts = locale === 'ja' ? [profile.user.lastName, profile.user.firstName] : [profile.user.firstName, profile.user.lastName];
  const initials = (hasName ? nameParts.filter(Boolean) : [profile.user.email])
    .map((s) => [...s.trim()][0] ?? '')
    .join('')
    .toUpperCase();

  return (
    <AppShell actor={actor} current={`${base}/users`}>
      <Breadcrumbs items={[{ label: t('breadcrumbUsers'), href: `${base}/users` }, { label: name }]} />

      <header className="mb-6 flex flex-wrap items-center gap-4">
        <div aria-hidden className="flex h-12 w-12 shrink-0 items-center justify-center rounded-full bg-brand-100 text-base font-semibold text-brand-700">
          {initials}
        </div>
        <div className="min-w-0 flex-1">
          <h1 className="truncate text-2xl font-semibold tracking-tight text-slate-900">{name}</h1>
          <p className="mt-0.5 flex flex-wrap items-center gap-x-3 gap-y-1 text-sm text-slate-500">
            {hasName && <span className="break-all">{profile.user.email}</span>}
            <span>{t('memberSince', { date: format.dateTime(profile.createdAt, { dateStyle: 'medium' }) })}</span>
          </p>
        </div>
        <div className="flex flex-wrap gap-1.5">
          <MemberStatusBadge status={profile.status} />
          {profile.isTenantAdmin && <Badge tone="brand">{tu('tenantAdmin')}</Badge>}
          {profile.isSelf && <Badge>{tu('you')}</Badge>}
        </div>
      </header>

      {notice && (
        <div className="mb-6">
          <Alert tone={notice === 'invitationNotSent' || notice === 'addedRegisteredNoEmail' ? 'info' : 'success'}>
            <div className="flex flex-wrap items-center justify-between gap-3">
              <p>{t(`notices.${notice}`, { email: profile.user.email, name, org, tenant: tenant.name })}</p>
              {notice === 'invitationNotSent' && profile.can.edit && profile.status === 'invited' && (
                <ActionForm action={ACTIONS.resendInvitation} tenant={tenant.slug} hidden={{ memberId: profile.memberId, label: name }} aria-label={t('notices.sendNow')}>
                  <SubmitButton>{t('notices.sendNow')}</SubmitButton>
                </ActionForm>
              )}
            </div>
          </Alert>
        </div>
      )}

      {profile.status === 'invited' && (
        <div className="mb-6 empty:hidden">
          <InvitationBounceNotice invitation={invitation} email={profile.user.email} />
        </div>
      )}

      <div className="grid grid-cols-1 gap-6 lg:grid-cols-3">
        <div className="space-y-6 lg:col-span-2">
          <OrganizationsSection {...sections} scoped={scope.kind !== 'tenant'} />
          <ServicesSection {...sections} />
          {managesGroups && <EffectiveAccessCard actor={actor} memberId={profile.memberId} />}
          <ProfileSection {...sections} />
        </div>
        <div className="space-y-6">
          <StatusSection {...sections} />
          <TenantAdminSection {...sections} />
          <InvitationSection {...sections} invitation={invitation} />
          <MemberGroupsCard actor={actor} profile={profile} canManage={managesGroups} />
        </div>
      </div>

      <div className="mt-6">
        <AuditHistory tenantSlug={tenant.slug} actor={actor} target={{ type: 'member', id: profile.memberId }} />
      </div>
    </AppShell>
  );
}
