import Link from 'next/link';
import { getLocale, getTranslations } from 'next-intl/server';
import type { ReactNode } from 'react';
import { canInTenant } from '@/app/_lib/session';
import { Badge } from '@/components/ui/badge';
import { Card } from '@/components/ui/card';
import { Table, Td, Th } from '@/components/ui/table';
import { getDb } from '@/db/client';
import type { AccessLevel, AccessReason, GroupSource } from '@/lib/access';
import { loadMemberAccess } from '@/lib/access';
import type { Actor } from '@/lib/actor';
import { serviceName } from '@/lib/catalog';

const LEVEL_TONES = { none: 'neutral', view: 'brand', edit: 'green' } as const satisfies Record<AccessLevel, string>;

type T = Awaited<ReturnType<typeof getTranslations<'access'>>>;

/**
 * The member's effective access per service and contract, and why (SPEC §1). `access.view` is a
 * tenant admin's right over the whole tenant: lib/authz decides it from the request's cached scope
 * (no query, the page has loaded the member already), and the loader reads the member within the
 * actor's tenant only (another tenant's member is null, like nobody).
 */
export async function EffectiveAccessCard({ actor, memberId }: { actor: Actor; memberId: string }) {
  if (!actor.tenant || !(await canInTenant(actor, 'access.view'))) return null;
  const [access, t, locale] = await Promise.all([loadMemberAccess(getDb(), actor.tenant.id, memberId), getTranslations('access'), getLocale()]);
  if (!access) return null;
  const groupsBase = `/t/${actor.tenant.slug}/groups`;

  return (
    <Card title={t('title')} description={t('description')}>
      {access.services.length === 0 ? (
        <p className="text-sm text-slate-500">{t('empty')}</p>
      ) : (
        <div className="space-y-6">
          {access.status !== 'active' && (
            <p className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-800 ring-1 ring-inset ring-amber-200">
              {access.status === 'invited' ? t('statusNote.invited') : t('statusNote.deactivated')}
            </p>
          )}
          {access.services.map((service) => {
            const name = serviceName(service, locale);
            return (
              <section key={service.id} aria-label={name}>
                <div className="mb-2 flex flex-wrap items-center justify-between gap-2">
                  <h3 className="text-sm font-semibold text-slate-900">
                    {name} <code className="ml-1 rounded bg-slate-100 px-1 py-0.5 text-[11px] font-normal text-slate-600">{service.key}</code>
                  </h3>
                  {service.serviceAccess ? <Badge tone="green">{t('serviceAccessOn')}</Badge> : <Badge tone="amber">{t('serviceAccessOff')}</Badge>}
                </div>
                <Table caption={t('caption', { service: name })} className="rounded-lg ring-1 ring-slate-200">
                  <thead className="bg-slate-50">
                    <tr>
                      <Th className="w-[40%]">{t('columns.contract')}</Th>
                      <Th className="w-[14%]">{t('columns.level')}</Th>
                      <Th>{t('columns.why')}</Th>
                    </tr>
                  </thead>
                  <tbody className="divide-y divide-slate-100">
                    {service.contracts.map((c) => (
                      <tr key={c.id}>
                        <Td className="align-top">
                          <div className="font-medium text-slate-800">{c.code}</div>
                          <div className="text-xs text-slate-500">{c.name}</div>
                        </Td>
                        <Td className="align-top">
                          <Badge tone={LEVEL_TONES[c.level]}>{t(`levels.${c.level}`)}</Badge>
                        </Td>
                        <Td className="align-top text-slate-600">{why(t, c.reason, groupsBase)}</Td>
                      </tr>
                    ))}
                  </tbody>
                </Table>
              </section>
            );
          })}
        </div>
      )}
    </Card>
  );
}

/** Group names as links; for grants, each on its own line with the setting that decided. */
function groupLinks(groups: GroupSource[], base: string, via?: (g: GroupSource) => string): ReactNode {
  return (
    <ul className="mt-0.5 space-y-0.5">
      {groups.map((g) => (
        <li key={g.id}>
          <Link href={`${base}/${g.id}`} className="font-medium text-brand-700 hover:underline">
            {g.name}
          </Link>
          {via && <span className="ml-1.5 text-xs text-slate-500">{via(g)}</span>}
        </li>
      ))}
    </ul>
  );
}

function why(t: T, reason: AccessReason, base: string): ReactNode {
  switch (reason.kind) {
    case 'inactive':
      return reason.status === 'invited' ? t('why.invited') : t('why.deactivated');
    case 'serviceAccessOff':
      return t('why.serviceAccessOff');
    case 'noGrant':
      if (reason.deniedBy.length === 0) return t('why.noGroup');
      return (
        <>
          {t('why.deniedBy', { count: reason.deniedBy.length })}
          {groupLinks(reason.deniedBy, base)}
        </>
      );
    case 'granted':
      return (
        <>
          {t('why.granted', { count: reason.groups.length })}
          {groupLinks(reason.groups, base, (g) => (g.via === 'service' ? t('via.service') : t('via.contract')))}
        </>
      );
  }
}
