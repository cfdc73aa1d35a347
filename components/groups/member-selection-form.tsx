'use client';

import { useTranslations } from 'next-intl';
import { type ReactNode, useCallback, useRef, useState } from 'react';
import { ActionForm, type FormAction } from '@/components/forms/action-form';
import { SubmitButton } from '@/components/forms/fields';

/** The name of the row checkboxes (what the bulk actions read). */
export const MEMBER_CHECKBOX = 'memberIds';

/**
 * One form around a table of people with a checkbox per row (`memberIds`): a bar with how many are
 * selected and the submit button (add or remove, which also names the form), then the table
 * (server-rendered `children`).
 * The header's "select all" checkbox follows the rows (checked, mixed or clear).
 */
export function MemberSelectionForm({
  action,
  tenant,
  groupId,
  submitLabel,
  pendingLabel,
  variant = 'primary',
  children,
}: {
  action: FormAction;
  tenant: string;
  groupId: string;
  submitLabel: string;
  pendingLabel: string;
  variant?: 'primary' | 'secondary' | 'danger';
  children: ReactNode;
}) {
  const t = useTranslations('groups.members');
  const [count, setCount] = useState(0);
  const area = useRef<HTMLDivElement>(null);
  const recount = useCallback(() => {
    const root = area.current;
    if (!root) return;
    const boxes = [...root.querySelectorAll<HTMLInputElement>(`input[type="checkbox"][name="${MEMBER_CHECKBOX}"]`)];
    const checked = boxes.filter((b) => b.checked).length;
    const all = root.querySelector<HTMLInputElement>('input[data-select-all]');
    if (all) {
      all.checked = boxes.length > 0 && checked === boxes.length;
      all.indeterminate = checked > 0 && checked < boxes.length;
    }
    setCount(checked);
  }, []);
  // React resets the form after a successful action: nothing is selected any more.
  const reset = useCallback(() => {
    setCount(0);
    const all = area.current?.querySelector<HTMLInputElement>('input[data-select-all]');
    if (all) all.indeterminate = false;
  }, []);
  return (
    <ActionForm action={action} tenant={tenant} hidden={{ groupId }} aria-label={submitLabel} onSuccess={reset}>
      <div className="flex flex-wrap items-center justify-between gap-3 rounded-lg bg-slate-50 px-3 py-2 ring-1 ring-inset ring-slate-200">
        <p className="text-sm text-slate-600" aria-live="polite">
          {t('selected', { count })}
        </p>
        <SubmitButton variant={variant} pendingLabel={pendingLabel}>
          {submitLabel}
        </SubmitButton>
      </div>
      <div ref={area} onChange={recount}>
        {children}
      </div>
    </ActionForm>
  );
}

/** The header checkbox: checks or clears every row checkbox of its form. */
export function SelectAllMembers({ label }: { label: string }) {
  return (
    <input
      type="checkbox"
      data-select-all
      aria-label={label}
      className="h-4 w-4 rounded border-slate-300 text-brand-600 focus:ring-brand-500"
      onChange={(e) => {
        const form = e.currentTarget.form;
        if (!form) return;
        for (const box of form.querySelectorAll<HTMLInputElement>(`input[type="checkbox"][name="${MEMBER_CHECKBOX}"]`)) box.checked = e.currentTarget.checked;
      }}
    />
  );
}
