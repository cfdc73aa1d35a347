import Link from 'next/link';
import { getFormatter, getLocale, getTranslations } from 'next-intl/server';
import type { FormAction } from '@/components/forms/action-form';
import { ActionForm } from '@/components/forms/action-form';
import { ConfirmButton } from '@/components/forms/confirm-button';
import { CheckboxGroup, Field, Select, SubmitButton } from '@/components/forms/fields';
import { InvitationStateBadge } from '@/components/invitations/invitation-state-badge';
import { Badge } from '@/components/ui/badge';
import { Card } from '@/components/ui/card';
import { Table, Td, Th } from '@/components/ui/table';
import type { MemberStatus } from '@/db/schema';
import { type InvitationStateInfo, isRevocable } from '@/lib/invitations';
import type { MemberProfile } from '@/lib/users';
import { serviceName } from '@/lib/catalog';

/*
 * The sections of a user's page. Each shows only the controls the actor may use (the profile's
 * `can` flags); the server checks again on every action. Actions come in as props so these
 * components do not depend on a route.
 */

export interface MemberPageActions {
  updateMember: FormAction;
  setServiceAccess: FormAction;
  setStatus: FormAction;
  removeMember: FormAction;
  removeMembership: FormAction;
  setMembershipAdmin: FormAction;
  setTenantAdmin: FormAction;
  resendInvitation: FormAction;
  revokeInvitation: FormAction;
}

interface SectionProps {
  profile: MemberProfile;
  actions: MemberPageActions;
  tenant: { slug: string; name: string };
  /** The member's display name (formatPersonName in the viewer's locale), computed once by the page. */
  name: string;
}

const STATUS_TONES = { active: 'green', invited: 'amber', deactivated: 'red' } as const satisfies Record<MemberStatus, string>;

export async function MemberStatusBadge({ status }: { status: MemberStatus }) {
  const t = await getTranslations('users.status');
  return <Badge tone={STATUS_TONES[status]}>{t(status)}</Badge>;
}

function hiddenFor(profile: MemberProfile, name: string, extra: Record<string, string> = {}) {
  return { memberId: profile.memberId, label: name, ...extra };
}

export async function OrganizationsSection({ profile, actions, tenant, name, scoped }: SectionProps & { scoped: boolean }) {
  const t = await getTranslations('userPage.orgs');
  const tc = await getTranslations('common');
  return (
    <Card title={t('title')} description={scoped ? `${t('description')} ${t('descriptionScoped')}` : t('description')}>
      {profile.memberships.length === 0 ? (
        <p className="text-sm text-slate-500">{t('none')}</p>
      ) : (
        <Table caption={t('caption')} className="-mx-5 -my-4">
          <thead className="bg-slate-50">
            <tr>
              <Th className="pl-5">{t('org')}</Th>
              <Th>{t('role')}</Th>
              <Th className="pr-5 text-right">{t('actions')}</Th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {profile.memberships.map((m) => (
              <tr key={m.id} className="align-middle">
                <Td className="pl-5">
                  <Link href={`/t/${tenant.slug}/orgs/${m.orgId}`} className="font-mono text-[13px] text-brand-700 hover:underline">
                    {m.orgPath}
                  </Link>
                  {m.isLast && <div className="mt-0.5 text-xs text-slate-400">{t('lastOrg')}</div>}
                </Td>
                <Td>{m.isAdmin ? <Badge tone="brand">{t('admin')}</Badge> : <span className="text-slate-500">{t('member')}</span>}</Td>
                <Td className="pr-5">
                  <div className="flex flex-wrap items-start justify-end gap-2 [&_form>button]:whitespace-nowrap">
                    {m.can.setAdmin && (
                      <ActionForm
                        action={actions.setMembershipAdmin}
                        tenant={tenant.slug}
                        hidden={hiddenFor(profile, name, { membershipId: m.id, isAdmin: String(!m.isAdmin), org: m.orgPath })}
                        className="space-y-2 [&_[role=alert]]:max-w-xs [&_[role=status]]:max-w-xs"
                        aria-label={`${m.isAdmin ? t('revokeAdmin') : t('makeAdmin')}: ${m.orgPath}`}
                      >
                        <SubmitButton variant="secondary" pendingLabel={tc('working')}>
                          {m.isAdmin ? t('revokeAdmin') : t('makeAdmin')}
                        </SubmitButton>
                      </ActionForm>
                    )}
                    {m.can.remove && (
                      <ActionForm
                        action={actions.removeMembership}
                        tenant={tenant.slug}
                        hidden={hiddenFor(profile, name, {
                          membershipId: m.id,
                          org: m.orgPath,
                          // Said in the dialog: this removal takes them out of the tenant.
                          confirmLastOrg: m.isLast ? 'true' : 'false',
                        })}
                        className="space-y-2 [&_[role=alert]]:max-w-xs"
                        aria-label={`${t('remove')}: ${m.orgPath}`}
                      >
                        <ConfirmButton
                          variant={m.isLast ? 'danger' : 'secondary'}
                          title={t('removeTitle', { org: m.orgPath })}
                          body={
                            m.isLast ? (
                              <p className="font-medium text-red-700">{t('removeLastBody', { org: m.orgPath, name, tenant: tenant.name })}</p>
                            ) : (
                              t('removeBody', { org: m.orgPath, name })
                            )
                          }
                          confirmLabel={m.isLast ? t('removeLastConfirm') : t('removeConfirm')}
                          cancelLabel={tc('cancel')}
                        >
                          {t('remove')}
                        </ConfirmButton>
                      </ActionForm>
                    )}
                  </div>
                </Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </Card>
  );
}

export async function StatusSection({ profile, actions, tenant, name }: SectionProps) {
  const t = await getTranslations('userPage.status');
  const tc = await getTranslations('common');
  const { can } = profile;
  return (
    <Card title={t('title')}>
      <div className="space-y-4">
        <div className="flex items-start gap-2">
          <span className="shrink-0 whitespace-nowrap">
            <MemberStatusBadge status={profile.status} />
          </span>
          <p className="text-sm text-slate-600">{t(`descriptions.${profile.status}`, { tenant: tenant.name })}</p>
        </div>
        {profile.isLastActiveTenantAdmin && <p className="text-xs text-amber-700">{t('lastTenantAdmin')}</p>}
        {profile.isSelf && <p className="text-xs text-slate-500">{t('self')}</p>}
        {!profile.isSelf && !can.edit && <p className="text-xs text-slate-500">{t('limited')}</p>}
        {(can.deactivate || can.reactivate) && (
          <ActionForm
            action={actions.setStatus}
            tenant={tenant.slug}
            hidden={hiddenFor(profile, name, { op: can.deactivate ? 'deactivate' : 'reactivate' })}
            aria-label={can.deactivate ? t('deactivate') : t('reactivate')}
          >
            {can.deactivate ? (
              <ConfirmButton
                variant="secondary"
                title={t('deactivateTitle', { name })}
                body={t('deactivateBody', { tenant: tenant.name })}
                confirmLabel={t('deactivateConfirm')}
                cancelLabel={tc('cancel')}
              >
                {t('deactivate')}
              </ConfirmButton>
            ) : (
              <SubmitButton pendingLabel={tc('working')}>{t('reactivate')}</SubmitButton>
            )}
          </ActionForm>
        )}
        {can.remove && (
          <div className="border-t border-slate-100 pt-4">
            <h3 className="mb-2 text-xs font-semibold uppercase tracking-wide text-red-700">{t('dangerZone')}</h3>
            <ActionForm action={actions.removeMember} tenant={tenant.slug} hidden={hiddenFor(profile, name)} aria-label={t('remove')}>
              <ConfirmButton
                title={t('removeTitle', { name, tenant: tenant.name })}
                body={t('removeBody', { tenant: tenant.name })}
                confirmLabel={t('removeConfirm')}
                cancelLabel={tc('cancel')}
              >
                {t('remove')}
              </ConfirmButton>
            </ActionForm>
          </div>
        )}
      </div>
    </Card>
  );
}

export async function TenantAdminSection({ profile, actions, tenant, name }: SectionProps) {
  if (!profile.can.setTenantAdmin) return null;
  const t = await getTranslations('userPage.tenantAdmin');
  const tc = await getTranslations('common');
  const make = !profile.isTenantAdmin;
  return (
    <Card title={t('title')}>
      <div className="space-y-3">
        <p className="text-sm text-slate-600">{profile.isTenantAdmin ? t('isAdmin', { name, tenant: tenant.name }) : t('notAdmin', { name })}</p>
        {make && profile.status !== 'active' ? (
          <p className="text-xs text-slate-500">{t('onlyActive')}</p>
        ) : (
          <ActionForm
            action={actions.setTenantAdmin}
            tenant={tenant.slug}
            hidden={hiddenFor(profile, name, { isTenantAdmin: String(make) })}
            aria-label={make ? t('make') : t('revoke')}
          >
            {make ? (
              <SubmitButton variant="secondary" pendingLabel={tc('working')}>
                {t('make')}
              </SubmitButton>
            ) : (
              <ConfirmButton
                variant="secondary"
                title={t('revokeTitle')}
                body={t('revokeBody', { name, tenant: tenant.name })}
                confirmLabel={t('revokeConfirm')}
                cancelLabel={tc('cancel')}
              >
                {t('revoke')}
              </ConfirmButton>
            )}
          </ActionForm>
        )}
      </div>
    </Card>
  );
}

export async function ProfileSection({ profile, actions, tenant, name }: SectionProps) {
  const t = await getTranslations('userPage.profile');
  const tu = await getTranslations('users');
  const tl = await getTranslations('common.languages');
  const locale = await getLocale();
  const { user } = profile;
  const names = (['firstName', 'lastName'] as const).map((key) => ({ key, label: tu(key), value: user[key] }));
  if (locale === 'ja') names.reverse();
  const languageLabel = user.locale ? tl(user.locale) : tu('languageDefault');

  if (!profile.can.editProfile) {
    return (
      <Card title={t('title')} description={t('description')}>
        {profile.can.edit && profile.profileShared && <p className="mb-3 text-sm text-slate-500">{t('shared')}</p>}
        <dl className="grid grid-cols-1 gap-x-6 gap-y-3 text-sm sm:grid-cols-3">
          {[...names, { key: 'locale', label: tu('language'), value: languageLabel }].map((row) => (
            <div key={row.key}>
              <dt className="text-xs font-medium text-slate-500">{row.label}</dt>
              <dd className="mt-0.5 text-slate-900">{row.value || '—'}</dd>
            </div>
          ))}
        </dl>
      </Card>
    );
  }
  return (
    <Card title={t('title')} description={t('description')}>
      <ActionForm action={actions.updateMember} tenant={tenant.slug} hidden={hiddenFor(profile, name)} aria-label={t('title')}>
        <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
          {names.map((n) => (
            <Field key={n.key} label={n.label} name={n.key} defaultValue={n.value} required maxLength={100} autoComplete="off" />
          ))}
        </div>
        <Select
          label={tu('language')}
          name="locale"
          defaultValue={user.locale ?? ''}
          className="sm:w-1/2"
          options={[
            { value: '', label: tu('languageDefault') },
            { value: 'en', label: tl('en') },
            { value: 'ja', label: tl('ja') },
          ]}
        />
        <SubmitButton pendingLabel={t('saving')}>{t('save')}</SubmitButton>
      </ActionForm>
    </Card>
  );
}

export async function ServicesSection({ profile, actions, tenant, name }: SectionProps) {
  const t = await getTranslations('userPage.services');
  const tc = await getTranslations('common');
  const locale = await getLocale();
  const label = (s: MemberProfile['services'][number]) => serviceName(s, locale);
  return (
    <Card title={t('title')} description={t('description')}>
      {profile.services.length === 0 ? (
        <p className="text-sm text-slate-500">{t('none')}</p>
      ) : profile.can.serviceAccess ? (
        <ActionForm action={actions.setServiceAccess} tenant={tenant.slug} hidden={hiddenFor(profile, name)} aria-label={t('title')}>
          <CheckboxGroup
            legend={t('legend')}
            name="serviceKeys"
            options={profile.services.map((s) => ({ value: s.key, label: label(s) }))}
            defaultChecked={profile.services.filter((s) => s.hasAccess).map((s) => s.key)}
          />
          <SubmitButton pendingLabel={tc('working')}>{t('save')}</SubmitButton>
        </ActionForm>
      ) : (
        <ul className="space-y-1.5 text-sm">
          {profile.services.map((s) => (
            <li key={s.id} className="flex items-center justify-between gap-3">
              <span className="text-slate-800">{label(s)}</span>
              {s.hasAccess ? <Badge tone="green">{t('on')}</Badge> : <Badge>{t('off')}</Badge>}
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

export async function InvitationSection({ profile, actions, tenant, name, invitation }: SectionProps & { invitation: InvitationStateInfo }) {
  // Registered members who never had an invitation here (added as registered users) have nothing to show.
  if (invitation.state === 'none' && profile.status !== 'invited') return null;
  const t = await getTranslations('userPage.invitation');
  const tc = await getTranslations('common');
  const format = await getFormatter();
  const when = (d: Date | null) => (d ? format.dateTime(d, { dateStyle: 'medium', timeStyle: 'short' }) : '—');
  const rows: [string, string][] = [];
  if (invitation.createdAt) rows.push([t('created'), when(invitation.createdAt)]);
  if (invitation.state === 'accepted') rows.push([t('accepted'), when(invitation.usedAt)]);
  else if (invitation.state !== 'none') {
    rows.push([t('sent'), invitation.sentAt ? when(invitation.sentAt) : t('notSent')]);
    rows.push([t('expires'), when(invitation.expiresAt)]);
  }
  const manage = profile.can.edit && profile.status === 'invited';
  const revocable = isRevocable(invitation.state);
  return (
    <Card title={t('title')}>
      <div className="space-y-3">
        <div className="flex items-center gap-2 text-sm">
          <span className="text-slate-500">{t('state')}:</span>
          <InvitationStateBadge state={invitation.state} />
        </div>
        {rows.length > 0 ? (
          <dl className="space-y-1 text-sm">
            {rows.map(([k, v]) => (
              <div key={k} className="flex justify-between gap-3">
                <dt className="text-slate-500">{k}</dt>
                <dd className="tabular-nums text-slate-800">{v}</dd>
              </div>
            ))}
          </dl>
        ) : (
          <p className="text-sm text-slate-500">{t('none')}</p>
        )}
        {manage && (
          <div className="flex flex-wrap items-start gap-2">
            <ActionForm action={actions.resendInvitation} tenant={tenant.slug} hidden={hiddenFor(profile, name)} aria-label={t('resend')}>
              <SubmitButton pendingLabel={tc('working')}>{invitation.state === 'not_sent' || invitation.state === 'none' ? t('send') : t('resend')}</SubmitButton>
            </ActionForm>
            {revocable && (
              <ActionForm action={actions.revokeInvitation} tenant={tenant.slug} hidden={hiddenFor(profile, name)} aria-label={t('revoke')}>
                <ConfirmButton variant="secondary" title={t('revokeTitle')} body={t('revokeBody')} confirmLabel={t('revokeConfirm')} cancelLabel={tc('cancel')}>
                  {t('revoke')}
                </ConfirmButton>
              </ActionForm>
            )}
          </div>
        )}
      </div>
    </Card>
  );
}
