import Link from 'next/link';
import { getLocale, getTranslations } from 'next-intl/server';
import { memberGroupsAction } from '@/app/t/[tenant]/users/[memberId]/group-actions';
import { ActionForm } from '@/components/forms/action-form';
import { Select } from '@/components/forms/fields';
import { Card } from '@/components/ui/card';
import { getDb } from '@/db/client';
import type { Actor } from '@/lib/actor';
import { listGroupOptions } from '@/lib/groups';
import { formatPersonName } from '@/lib/i18n/person-name';
import type { MemberProfile } from '@/lib/users';
import { AddGroupButton, RemoveGroupButton } from './member-group-buttons';

/**
 * The member's groups on the user page. Tenant administrators (`canManage`) open each group, take
 * the member out of it, and add them to another, in one form (so its message stays while rows come
 * and go). Nobody else sees groups: they are tenant-wide (SPEC §2).
 */
export async function MemberGroupsCard({ actor, profile, canManage }: { actor: Actor; profile: MemberProfile; canManage: boolean }) {
  if (!canManage || !actor.tenant || !profile.groups) return null;
  const groups = profile.groups;
  const [t, tc, locale, all] = await Promise.all([getTranslations('groups.memberCard'), getTranslations('common'), getLocale(), listGroupOptions(getDb(), actor)]);
  const slug = actor.tenant.slug;
  const name = formatPersonName(profile.user, locale);
  const mine = new Set(groups.map((g) => g.id));
  const available = all.filter((g) => !mine.has(g.id));

  return (
    <Card title={t('title')} description={t('description')}>
      <ActionForm action={memberGroupsAction} tenant={slug} hidden={{ memberId: profile.memberId, label: name }} aria-label={t('caption', { name })}>
        {groups.length === 0 ? (
          <p className="text-sm text-slate-500">{t('none')}</p>
        ) : (
          <ul aria-label={t('caption', { name })} className="-mx-5 divide-y divide-slate-100 border-b border-slate-100">
            {groups.map((g) => (
              <li key={g.id} className="flex items-center justify-between gap-3 px-5 py-2">
                <Link href={`/t/${slug}/groups/${g.id}`} className="min-w-0 break-words text-sm font-medium text-brand-700 hover:underline">
                  {g.name}
                </Link>
                <RemoveGroupButton groupId={g.id} label={t('remove')} ariaLabel={t('removeLabel', { name, group: g.name })} pendingLabel={tc('working')} />
              </li>
            ))}
          </ul>
        )}

        {all.length === 0 ? (
          <p className="text-sm text-slate-500">
            {t('noGroups')}{' '}
            <Link href={`/t/${slug}/groups/new`} className="font-medium text-brand-700 hover:underline">
              {t('createGroup')}
            </Link>
          </p>
        ) : available.length === 0 ? (
          <p className="text-sm text-slate-500">{t('inAll')}</p>
        ) : (
          <div className="space-y-3">
            <Select
              id="member-add-group"
              label={t('addLabel')}
              name="groupId"
              defaultValue=""
              options={[{ value: '', label: t('choose') }, ...available.map((g) => ({ value: g.id, label: g.name }))]}
            />
            <AddGroupButton label={t('add')} pendingLabel={t('adding')} />
          </div>
        )}
      </ActionForm>
    </Card>
  );
}
