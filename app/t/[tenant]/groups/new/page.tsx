import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { getTranslations } from 'next-intl/server';
import { canInTenant, requireActor } from '@/app/_lib/session';
import { GroupForm } from '@/components/groups/group-forms';
import { AppShell } from '@/components/shell/app-shell';
import { Breadcrumbs } from '@/components/ui/breadcrumbs';
import { Card } from '@/components/ui/card';
import { PageHeader } from '@/components/ui/page-header';
import { createGroupAction } from '../actions';

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations('groups'))('create.title') };
}

/** /t/SLUG/groups/new: name and describe a new group (tenant admins only); created, it opens on its page. */
export default async function NewGroupPage({ params }: { params: Promise<{ tenant: string }> }) {
  const { tenant: slug } = await params;
  const actor = await requireActor(slug);
  if (!(await canInTenant(actor, 'groups.manage'))) notFound();
  const t = await getTranslations('groups');
  const base = `/t/${actor.tenant!.slug}/groups`;
  return (
    <AppShell actor={actor} current={base}>
      <Breadcrumbs items={[{ label: t('title'), href: base }, { label: t('create.title') }]} />
      <PageHeader title={t('create.title')} description={t('create.description')} />
      <Card className="max-w-2xl">
        <GroupForm action={createGroupAction} tenant={actor.tenant!.slug} cancelHref={base} />
      </Card>
    </AppShell>
  );
}
