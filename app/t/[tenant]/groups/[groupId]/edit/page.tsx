import type { Metadata } from 'next';
import { getTranslations } from 'next-intl/server';
import { GroupForm } from '@/components/groups/group-forms';
import { AppShell } from '@/components/shell/app-shell';
import { Breadcrumbs } from '@/components/ui/breadcrumbs';
import { Card } from '@/components/ui/card';
import { PageHeader } from '@/components/ui/page-header';
import { updateGroupAction } from '../../actions';
import { loadGroupPage } from '../load';

type Props = { params: Promise<{ tenant: string; groupId: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { tenant, groupId } = await params;
  const { group } = await loadGroupPage(tenant, groupId);
  return { title: `${(await getTranslations('groups'))('edit.title')}: ${group.name}` };
}

/** /t/SLUG/groups/ID/edit: rename and describe the group; saved, it goes back to the group's page. */
export default async function EditGroupPage({ params }: Props) {
  const { tenant: slug, groupId } = await params;
  const { actor, group } = await loadGroupPage(slug, groupId);
  const t = await getTranslations('groups');
  const base = `/t/${actor.tenant!.slug}/groups`;
  const groupHref = `${base}/${group.id}`;
  return (
    <AppShell actor={actor} current={base}>
      <Breadcrumbs items={[{ label: t('title'), href: base }, { label: group.name, href: groupHref }, { label: t('edit.breadcrumb') }]} />
      <PageHeader title={t('edit.title')} description={t('edit.description')} />
      <Card className="max-w-2xl">
        <GroupForm action={updateGroupAction} tenant={actor.tenant!.slug} group={{ id: group.id, name: group.name, description: group.description }} cancelHref={groupHref} />
      </Card>
    </AppShell>
  );
}
