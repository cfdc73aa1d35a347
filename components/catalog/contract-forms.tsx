'use client';

import { useTranslations } from 'next-intl';
import { ActionForm, type FormAction } from '@/components/forms/action-form';
import { ConfirmButton } from '@/components/forms/confirm-button';
import { Field, Select, SubmitButton } from '@/components/forms/fields';

/*
 * The forms for a tenant's contracts (platform operator only; lib/catalog decides again). Each
 * posts to a server action from app/operator/tenants/[tenantId]/actions.ts.
 */

export interface ServiceOption {
  value: string;
  label: string;
}

export interface ContractValues {
  serviceId: string;
  code: string;
  name: string;
  startsOn: string | null;
  endsOn: string | null;
}

function ContractFields({ form, services, values, serviceHint }: { form: string; services: ServiceOption[]; values?: ContractValues; serviceHint?: string }) {
  const t = useTranslations('catalog.fields');
  // Side by side where the form has room (the tenant page), stacked in a narrow column (the edit page).
  return (
    <div className="@container">
      <div className="grid gap-4 @xl:grid-cols-2">
        <Select
          id={`${form}-serviceId`}
          label={t('service')}
          name="serviceId"
          required
          options={values ? services : [{ value: '', label: t('chooseService') }, ...services]}
          defaultValue={values?.serviceId ?? ''}
          hint={serviceHint}
        />
        <Field
          id={`${form}-code`}
          label={t('code')}
          name="code"
          defaultValue={values?.code}
          required
          maxLength={64}
          autoComplete="off"
          spellCheck={false}
          className="[&_input]:font-mono"
          hint={t('codeHint')}
        />
        <Field
          id={`${form}-name`}
          label={t('contractName')}
          name="name"
          defaultValue={values?.name}
          required
          maxLength={200}
          autoComplete="off"
          className="@xl:col-span-2"
          hint={t('contractNameHint')}
        />
        <div className="grid gap-4 sm:grid-cols-2 @xl:col-span-2">
          <Field id={`${form}-startsOn`} label={t('startsOn')} name="startsOn" type="date" defaultValue={values?.startsOn ?? ''} hint={t('startsOnHint')} />
          <Field id={`${form}-endsOn`} label={t('endsOn')} name="endsOn" type="date" defaultValue={values?.endsOn ?? ''} hint={t('endsOnHint')} />
        </div>
      </div>
    </div>
  );
}

export function CreateContractForm({ action, tenantId, services }: { action: FormAction; tenantId: string; services: ServiceOption[] }) {
  const t = useTranslations('catalog.tenant.create');
  return (
    <ActionForm action={action} hidden={{ tenantId }} aria-label={t('title')}>
      <ContractFields form="create" services={services} />
      <SubmitButton pendingLabel={t('pending')}>{t('submit')}</SubmitButton>
    </ActionForm>
  );
}

export function EditContractForm({ action, contractId, services, values }: { action: FormAction; contractId: string; services: ServiceOption[]; values: ContractValues }) {
  const t = useTranslations('catalog');
  return (
    <ActionForm action={action} hidden={{ contractId }} aria-label={t('contract.edit.title')}>
      <ContractFields form="edit" services={services} values={values} serviceHint={t('contract.edit.serviceHint')} />
      <SubmitButton pendingLabel={t('pending')}>{t('contract.edit.submit')}</SubmitButton>
    </ActionForm>
  );
}

/** Delete with a confirmation that says how many per-contract group permissions go with it. `compact`: a table row's button. */
export function DeleteContractForm({
  action,
  contractId,
  code,
  permissions,
  compact = false,
}: {
  action: FormAction;
  contractId: string;
  code: string;
  permissions: number;
  compact?: boolean;
}) {
  const t = useTranslations('catalog.contract.delete');
  const tc = useTranslations('common');
  return (
    // In a table row the button must not carry the form's vertical rhythm (space-y puts a margin under it).
    <ActionForm action={action} hidden={{ contractId }} aria-label={t('confirmTitle', { code })} className={compact ? '[&>button]:mb-0!' : undefined}>
      <ConfirmButton
        title={t('confirmTitle', { code })}
        body={t('confirmBody', { permissions })}
        confirmLabel={t('confirm')}
        cancelLabel={tc('cancel')}
      >
        {compact ? t('button') : t('buttonLong')}
      </ConfirmButton>
    </ActionForm>
  );
}
