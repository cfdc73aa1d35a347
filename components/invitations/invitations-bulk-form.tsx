'use client';

import { useTranslations } from 'next-intl';
import type { ReactNode } from 'react';
import { useFormStatus } from 'react-dom';
import { ActionForm, type FormAction } from '@/components/forms/action-form';
import { Button } from '@/components/ui/button';

/**
 * One form around the invitations table: row checkboxes (`memberIds`) and two submit buttons whose
 * name/value (`op`) tell the action which bulk operation was asked for.
 */
export function InvitationsBulkForm({ action, tenant, canAct, children }: { action: FormAction; tenant: string; canAct: boolean; children: ReactNode }) {
  const t = useTranslations('invitations');
  return (
    <ActionForm action={action} tenant={tenant} aria-label={t('bulkLabel')}>
      {canAct && (
        <div role="group" aria-label={t('bulkLabel')} className="flex flex-wrap items-center gap-2">
          <span className="text-sm text-slate-600">{t('bulkLabel')}</span>
          <BulkButton op="resend" label={t('resend')} pendingLabel={t('working')} />
          <BulkButton op="revoke" label={t('revoke')} pendingLabel={t('working')} className="text-red-700" />
        </div>
      )}
      {children}
    </ActionForm>
  );
}

/** A submit button naming its operation; only the pressed one says "working". */
function BulkButton({ op, label, pendingLabel, className }: { op: string; label: string; pendingLabel: string; className?: string }) {
  const { pending, data } = useFormStatus();
  const mine = pending && data?.get('op') === op;
  return (
    <Button type="submit" name="op" value={op} variant="secondary" className={className} disabled={pending} aria-busy={mine}>
      {mine ? pendingLabel : label}
    </Button>
  );
}

/** The header checkbox: checks or clears every row checkbox of its form. */
export function SelectAllCheckbox({ name, label }: { name: string; label: string }) {
  return (
    <input
      type="checkbox"
      aria-label={label}
      className="h-4 w-4 rounded border-slate-300 text-brand-600 focus:ring-brand-500"
      onChange={(e) => {
        const form = e.currentTarget.form;
        if (!form) return;
        for (const box of form.querySelectorAll<HTMLInputElement>(`input[type="checkbox"][name="${name}"]`)) box.checked = e.currentTarget.checked;
      }}
    />
  );
}
