'use client';

import clsx from 'clsx';
import { useTranslations } from 'next-intl';
import { useRouter } from 'next/navigation';
import { Fragment, type ReactNode, useId, useState } from 'react';
import { ActionForm, type FormAction, useFormResult } from '@/components/forms/action-form';
import { SubmitButton } from '@/components/forms/fields';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';

/*
 * The group permission form (SPEC §3.4): one row per service with None / View / Edit for all its
 * contracts; "Detail" shows the service's contracts, each Inherit / None / View / Edit, with what
 * inherit means right now and the level this group's members end up with. Every radio is posted
 * (collapsed rows only hide), so one Save applies the whole form.
 */

type ServiceLevel = 'none' | 'view' | 'edit';
type ContractLevel = 'inherit' | ServiceLevel;

export interface MatrixContract {
  code: string;
  name: string;
  /** The contract's dates, already formatted ('' when none). */
  period: string;
  level: ContractLevel;
}

export interface MatrixService {
  key: string;
  /** In the viewer's language. */
  name: string;
  level: ServiceLevel;
  contracts: MatrixContract[];
}

const SERVICE_LEVELS: readonly ServiceLevel[] = ['none', 'view', 'edit'];
const CONTRACT_LEVELS: readonly ContractLevel[] = ['inherit', 'none', 'view', 'edit'];
const LEVEL_TONES = { none: 'neutral', view: 'brand', edit: 'green' } as const satisfies Record<ServiceLevel, string>;

interface Levels {
  revision: string;
  services: Record<string, ServiceLevel>;
  contracts: Record<string, ContractLevel>;
}

function levelsOf(revision: string, services: MatrixService[]): Levels {
  return {
    revision,
    services: Object.fromEntries(services.map((s) => [s.key, s.level])),
    contracts: Object.fromEntries(services.flatMap((s) => s.contracts.map((c) => [c.code, c.level]))),
  };
}

const hasOverrides = (s: MatrixService) => s.contracts.some((c) => c.level !== 'inherit');

export function PermissionMatrix({
  action,
  tenant,
  groupId,
  revision,
  services,
}: {
  action: FormAction;
  tenant: string;
  groupId: string;
  revision: string;
  services: MatrixService[];
}) {
  const t = useTranslations('permissions');
  const router = useRouter();
  const [levels, setLevels] = useState(() => levelsOf(revision, services));
  // Services whose contracts have their own levels are open from the start, so overrides are never hidden.
  const [expanded, setExpanded] = useState(() => new Set(services.filter(hasOverrides).map((s) => s.key)));
  // A save (or someone else's, after a reload) brings a new revision: show the stored state.
  if (levels.revision !== revision) {
    setLevels(levelsOf(revision, services));
    const open = services.filter(hasOverrides).map((s) => s.key);
    if (open.some((k) => !expanded.has(k))) setExpanded(new Set([...expanded, ...open]));
  }
  const stored = levelsOf(revision, services);
  const dirty = JSON.stringify(stored) !== JSON.stringify(levels);

  if (services.length === 0) {
    return (
      <div className="rounded-xl bg-white px-5 py-10 text-center shadow-xs ring-1 ring-slate-200">
        <p className="text-sm font-medium text-slate-800">{t('empty.title')}</p>
        <p className="mt-1 text-sm text-slate-500">{t('empty.description')}</p>
      </div>
    );
  }

  const toggle = (key: string) =>
    setExpanded((prev) => {
      const next = new Set(prev);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      return next;
    });

  return (
    <ActionForm action={action} tenant={tenant} hidden={{ groupId, revision }} aria-label={t('formLabel')}>
      <div className="overflow-hidden rounded-xl bg-white shadow-xs ring-1 ring-slate-200">
        <div className="border-b border-slate-100 px-5 py-4">
          <h2 className="text-base font-semibold text-slate-900">{t('matrix.title')}</h2>
          <p className="mt-0.5 text-sm text-slate-500">{t('matrix.description')}</p>
        </div>
        <RemountAfterSubmit>
          <div className="overflow-x-auto">
            <table className="min-w-full text-sm">
              <caption className="sr-only">{t('matrix.title')}</caption>
              <thead className="bg-slate-50">
                <tr>
                  <th scope="col" className="px-5 py-2.5 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
                    {t('matrix.service')}
                  </th>
                  <th scope="col" className="px-3 py-2.5 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
                    {t('matrix.allContracts')}
                  </th>
                  <th scope="col" className="px-5 py-2.5 text-right text-xs font-semibold uppercase tracking-wide text-slate-500">
                    <span className="sr-only">{t('matrix.contracts')}</span>
                  </th>
                </tr>
              </thead>
              {services.map((service) => (
                <ServiceRows
                  key={service.key}
                  service={service}
                  level={levels.services[service.key] ?? 'none'}
                  contractLevels={levels.contracts}
                  open={expanded.has(service.key)}
                  onToggle={() => toggle(service.key)}
                  onServiceLevel={(level) => setLevels((prev) => ({ ...prev, services: { ...prev.services, [service.key]: level } }))}
                  onContractLevel={(code, level) => setLevels((prev) => ({ ...prev, contracts: { ...prev.contracts, [code]: level } }))}
                />
              ))}
            </table>
          </div>
        </RemountAfterSubmit>
        <div className="flex flex-wrap items-center justify-between gap-3 border-t border-slate-100 bg-slate-50 px-5 py-3">
          <p className="text-xs text-slate-500" aria-live="polite">
            {dirty ? <span className="font-medium text-amber-700">{t('unsaved')}</span> : t('saveHint')}
          </p>
          <div className="flex items-center gap-2">
            {dirty && (
              <Button
                type="button"
                variant="ghost"
                onClick={() => {
                  // Back to what is stored now (someone else may have saved meanwhile).
                  setLevels(stored);
                  router.refresh();
                }}
              >
                {t('discard')}
              </Button>
            )}
            <SubmitButton pendingLabel={t('saving')}>{t('save')}</SubmitButton>
          </div>
        </div>
      </div>
    </ActionForm>
  );
}

/**
 * React resets a form's fields to their initial values after its action completes, which would
 * show the radios as first rendered while the state holds the choices: the radios are rebuilt
 * from the state after each submit instead.
 */
function RemountAfterSubmit({ children }: { children: ReactNode }) {
  const result = useFormResult();
  return <Fragment key={result.status === 'idle' ? 'idle' : result.at}>{children}</Fragment>;
}

function ServiceRows({
  service,
  level,
  contractLevels,
  open,
  onToggle,
  onServiceLevel,
  onContractLevel,
}: {
  service: MatrixService;
  level: ServiceLevel;
  contractLevels: Record<string, ContractLevel>;
  open: boolean;
  onToggle: () => void;
  onServiceLevel: (level: ServiceLevel) => void;
  onContractLevel: (code: string, level: ContractLevel) => void;
}) {
  const t = useTranslations('permissions');
  const id = useId();
  const detailId = `${id}-contracts`;
  const overrides = service.contracts.filter((c) => (contractLevels[c.code] ?? 'inherit') !== 'inherit').length;
  return (
    <tbody className="border-t border-slate-100">
      <tr className={clsx(open && 'bg-slate-50/60')}>
        <td className="px-5 py-3 align-middle">
          <div className="font-medium text-slate-900">{service.name}</div>
          <div className="mt-0.5 flex flex-wrap items-center gap-2 text-xs text-slate-500">
            <code className="rounded bg-slate-100 px-1 py-0.5 text-[11px] text-slate-600">{service.key}</code>
            <span>{t('contractCount', { count: service.contracts.length })}</span>
            {overrides > 0 && <Badge tone="amber">{t('overrides', { count: overrides })}</Badge>}
          </div>
        </td>
        <td className="px-3 py-3 align-middle">
          <LevelRadios
            name={`service.${service.key}`}
            label={service.name}
            levels={SERVICE_LEVELS}
            value={level}
            onChange={(v) => onServiceLevel(v as ServiceLevel)}
          />
        </td>
        <td className="px-5 py-3 text-right align-middle">
          {service.contracts.length > 0 ? (
            <button
              type="button"
              onClick={onToggle}
              aria-expanded={open}
              aria-controls={detailId}
              aria-label={t('detailFor', { service: service.name })}
              className="inline-flex items-center gap-1.5 rounded-md px-2.5 py-1.5 text-sm font-medium text-brand-700 ring-1 ring-inset ring-slate-300 hover:bg-slate-50"
            >
              {t('detail')}
              <svg aria-hidden viewBox="0 0 20 20" fill="currentColor" className={clsx('h-4 w-4 transition-transform', open && 'rotate-180')}>
                <path
                  fillRule="evenodd"
                  d="M5.23 7.21a.75.75 0 0 1 1.06.02L10 11.06l3.71-3.83a.75.75 0 1 1 1.08 1.04l-4.25 4.39a.75.75 0 0 1-1.08 0L5.21 8.27a.75.75 0 0 1 .02-1.06Z"
                  clipRule="evenodd"
                />
              </svg>
            </button>
          ) : (
            <span className="text-xs text-slate-400">{t('noContracts')}</span>
          )}
        </td>
      </tr>
      {service.contracts.length > 0 && (
        <tr id={detailId} hidden={!open} className="bg-slate-50/60">
          <td colSpan={3} className="px-5 pb-4 pt-0">
            <table className="min-w-full overflow-hidden rounded-lg bg-white text-sm ring-1 ring-slate-200">
              <caption className="sr-only">{t('detailCaption', { service: service.name })}</caption>
              <thead>
                <tr className="border-b border-slate-100">
                  <th scope="col" className="w-[34%] px-4 py-2 text-left text-xs font-semibold text-slate-500">
                    {t('matrix.contract')}
                  </th>
                  <th scope="col" className="px-3 py-2 text-left text-xs font-semibold text-slate-500">
                    {t('matrix.contractLevel')}
                  </th>
                  <th scope="col" className="whitespace-nowrap px-4 py-2 text-left text-xs font-semibold text-slate-500">
                    {t('matrix.result')}
                  </th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {service.contracts.map((c) => {
                  const own = contractLevels[c.code] ?? 'inherit';
                  const result: ServiceLevel = own === 'inherit' ? level : own;
                  return (
                    <tr key={c.code}>
                      <td className="px-4 py-2.5 align-middle">
                        <div className="font-medium text-slate-800">{c.code}</div>
                        <div className="text-xs text-slate-500">{c.name}</div>
                        {c.period && <div className="text-xs text-slate-400">{c.period}</div>}
                      </td>
                      <td className="px-3 py-2.5 align-middle">
                        <LevelRadios
                          name={`contract.${c.code}`}
                          label={t('contractGroup', { code: c.code })}
                          levels={CONTRACT_LEVELS}
                          value={own}
                          inherited={level}
                          onChange={(v) => onContractLevel(c.code, v)}
                        />
                      </td>
                      <td className="px-4 py-2.5 align-middle">
                        <span className="sr-only">{t('resultFor', { code: c.code })} </span>
                        <Badge tone={LEVEL_TONES[result]}>{t(`levels.${result}`)}</Badge>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </td>
        </tr>
      )}
    </tbody>
  );
}

/**
 * A segmented radio group. Each radio is named by its level word alone ("View"), so tests and
 * screen readers find it inside the group's name; inherit's current meaning is a description.
 */
function LevelRadios({
  name,
  label,
  levels,
  value,
  inherited,
  onChange,
}: {
  name: string;
  label: string;
  levels: readonly ContractLevel[];
  value: ContractLevel;
  /** What `inherit` means now (the service-wide level). */
  inherited?: ServiceLevel;
  onChange: (level: ContractLevel) => void;
}) {
  const t = useTranslations('permissions');
  const id = useId();
  return (
    <div role="radiogroup" aria-label={label} className="inline-flex rounded-lg bg-white shadow-xs ring-1 ring-inset ring-slate-300">
      {levels.map((level) => {
        const hintId = `${id}-${level}-hint`;
        const checked = value === level;
        return (
          <label
            key={level}
            className={clsx(
              'flex cursor-pointer items-center gap-1.5 whitespace-nowrap border-l border-slate-200 px-3 py-1.5 text-sm first:rounded-l-lg first:border-l-0 last:rounded-r-lg has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-brand-500',
              checked ? 'bg-brand-50 font-medium text-brand-800' : 'text-slate-600 hover:bg-slate-50',
            )}
          >
            <input
              type="radio"
              name={name}
              value={level}
              checked={checked}
              onChange={() => onChange(level)}
              aria-label={t(`levels.${level}`)}
              aria-describedby={level === 'inherit' && inherited ? hintId : undefined}
              className="h-3.5 w-3.5 accent-brand-600 focus:outline-none"
            />
            <span aria-hidden>{t(`levels.${level}`)}</span>
            {level === 'inherit' && inherited && (
              <span id={hintId} className="text-xs font-normal text-slate-500">
                {t('inheritHint', { level: t(`levels.${inherited}`) })}
              </span>
            )}
          </label>
        );
      })}
    </div>
  );
}
