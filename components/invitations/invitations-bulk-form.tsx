'use client';

import clsx from 'clsx';
import { useTranslations } from 'next-intl';
import { type ReactNode, useCallback, useRef, useState } from 'react';
import { useFormStatus } from 'react-dom';
import { ActionForm, type FormAction } from '@/components/forms/action-form';
import { Button } from '@/components/ui/button';

const ROW_BOX = 'input[type="checkbox"][name="memberIds"]';

/**
 * One form around the invitations table: the row checkboxes (`memberIds`), a bar that says how many
 * are selected with Resend / Revoke (each confirmed in a dialog), and — once every row of the page
 * is checked and more invitations match — the offer to select all of them (`all=1` with the view's
 * `state` and `q`: the server takes the same query, so nothing is listed in the browser).
 */
export function InvitationsBulkForm({
  action,
  tenant,
  selectable,
  matching,
  filter,
  summary,
  children,
}: {
  action: FormAction;
  tenant: string;
  /** Rows of this page that have a checkbox. */
  selectable: number;
  /** Invitations matching the view (a lower bound when `lowerBound`). */
  matching: { total: number; lowerBound: boolean };
  filter: { state?: string; q?: string };
  /** What the bar says while nothing is selected ("12 invitations"). */
  summary: string;
  children: ReactNode;
}) {
  const t = useTranslations('invitations');
  const formRef = useRef<HTMLDivElement>(null);
  const [checked, setChecked] = useState(0);
  const [allMatching, setAllMatching] = useState(false);

  const recount = useCallback(() => {
    const form = formRef.current?.closest('form');
    const n = form ? form.querySelectorAll<HTMLInputElement>(`${ROW_BOX}:checked`).length : 0;
    setChecked(n);
    // The header box follows the rows: checked when all are, half-checked when some are.
    const header = form?.querySelector<HTMLInputElement>('input[data-select-all]');
    if (header) {
      header.checked = n > 0 && n === selectable;
      header.indeterminate = n > 0 && n < selectable;
    }
    // Unchecking any row leaves "all matching".
    if (n < selectable) setAllMatching(false);
  }, [selectable]);

  // After a submit React resets the form's boxes, but not the header's half-checked look.
  const reset = useCallback(() => {
    const header = formRef.current?.closest('form')?.querySelector<HTMLInputElement>('input[data-select-all]');
    if (header) {
      header.checked = false;
      header.indeterminate = false;
    }
    setChecked(0);
    setAllMatching(false);
  }, []);

  const pageAllChecked = selectable > 0 && checked === selectable;
  const more = matching.lowerBound || matching.total > selectable;
  const count = allMatching ? matching.total : checked;
  const countLabel = allMatching
    ? matching.lowerBound
      ? t('bulk.selectedAllMore', { count: matching.total })
      : t('bulk.selectedAll', { count: matching.total })
    : t('bulk.selected', { count: checked });

  return (
    <ActionForm action={action} tenant={tenant} aria-label={t('bulkLabel')} onSuccess={reset}>
      <div ref={formRef} onChange={recount} className="space-y-3">
        {allMatching && (
          <>
            <input type="hidden" name="all" value="1" />
            {filter.state && <input type="hidden" name="state" value={filter.state} />}
            {filter.q && <input type="hidden" name="q" value={filter.q} />}
          </>
        )}
        {selectable > 0 ? (
          <div
            role="group"
            aria-label={t('bulkLabel')}
            className={clsx('flex flex-wrap items-center gap-2 rounded-lg px-3 py-2 ring-1 ring-inset', count > 0 ? 'bg-brand-50 ring-brand-100' : 'bg-slate-50 ring-slate-200')}
          >
            <span className={clsx('mr-auto text-sm', count > 0 ? 'font-medium text-brand-900' : 'text-slate-600')} aria-live="polite">
              {count > 0 ? countLabel : summary}
            </span>
            <div className="flex shrink-0 gap-2">
              <BulkButton op="resend" disabled={count === 0} label={t('resend')} title={t('bulk.confirmResendTitle')} body={t(allMatching && matching.lowerBound ? 'bulk.confirmResendMore' : 'bulk.confirmResend', { count })} confirm={t('bulk.confirmResendButton')} cancel={t('bulk.cancel')} working={t('working')} />
              <BulkButton op="revoke" disabled={count === 0} label={t('revoke')} title={t('bulk.confirmRevokeTitle')} body={t(allMatching && matching.lowerBound ? 'bulk.confirmRevokeMore' : 'bulk.confirmRevoke', { count })} confirm={t('bulk.confirmRevokeButton')} cancel={t('bulk.cancel')} working={t('working')} danger />
            </div>
          </div>
        ) : (
          <p className="text-sm text-slate-600">{summary}</p>
        )}
        {pageAllChecked && more && (
          <p className="rounded-md bg-brand-50 px-3 py-2 text-center text-sm text-brand-900 ring-1 ring-brand-100 ring-inset">
            {allMatching ? (
              <>
                {countLabel}{' '}
                <button type="button" className="font-medium text-brand-700 underline underline-offset-2 hover:text-brand-900" onClick={() => setAllMatching(false)}>
                  {t('bulk.onlyThisPage', { count: selectable })}
                </button>
              </>
            ) : (
              <>
                {t('bulk.pageSelected', { count: selectable })}{' '}
                <button type="button" className="font-medium text-brand-700 underline underline-offset-2 hover:text-brand-900" onClick={() => setAllMatching(true)}>
                  {matching.lowerBound ? t('bulk.selectAllMatchingMore', { count: matching.total }) : t('bulk.selectAllMatching', { count: matching.total })}
                </button>
              </>
            )}
          </p>
        )}
        {children}
      </div>
    </ActionForm>
  );
}

/** Opens a dialog that says what will happen; its confirm button submits the form with `op`. */
function BulkButton({
  op,
  label,
  title,
  body,
  confirm,
  cancel,
  working,
  disabled,
  danger,
}: {
  op: 'resend' | 'revoke';
  label: string;
  title: string;
  body: string;
  confirm: string;
  cancel: string;
  working: string;
  disabled: boolean;
  danger?: boolean;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const { pending, data } = useFormStatus();
  const mine = pending && data?.get('op') === op;
  return (
    <>
      <Button
        type="button"
        variant="secondary"
        className={clsx('disabled:opacity-50', danger && 'text-red-700')}
        disabled={disabled || pending}
        aria-busy={mine}
        onClick={() => dialog.current?.showModal()}
      >
        {mine ? working : label}
      </Button>
      <dialog ref={dialog} aria-label={title} className="m-auto w-full max-w-md rounded-xl p-0 shadow-xl ring-1 ring-slate-200 backdrop:bg-slate-900/40">
        <div className="space-y-3 p-5">
          <h2 className="text-base font-semibold text-slate-900">{title}</h2>
          <p className="text-sm text-slate-600">{body}</p>
          <div className="flex justify-end gap-2 pt-2">
            <Button type="button" variant="secondary" onClick={() => dialog.current?.close()}>
              {cancel}
            </Button>
            <Button type="submit" name="op" value={op} variant={danger ? 'danger' : 'primary'} onClick={() => dialog.current?.close()}>
              {confirm}
            </Button>
          </div>
        </div>
      </dialog>
    </>
  );
}

/** The header checkbox: checks or clears every row checkbox of its form (and says so to the bar). */
export function SelectAllCheckbox({ label }: { label: string }) {
  return (
    <input
      type="checkbox"
      aria-label={label}
      data-select-all
      className="h-4 w-4 rounded border-slate-300 text-brand-600 focus:ring-brand-500"
      onChange={(e) => {
        const form = e.currentTarget.form;
        if (!form) return;
        for (const box of form.querySelectorAll<HTMLInputElement>(ROW_BOX)) box.checked = e.currentTarget.checked;
      }}
    />
  );
}
