'use client';

import { type ReactNode, useRef } from 'react';
import { Button } from '@/components/ui/button';

/**
 * A submit button that asks first, in a modal dialog (destructive actions). The dialog lives
 * inside the form, so "confirm" submits it like any other button. `variant` styles the button that
 * opens the dialog; the confirm button is red after a red one, else primary, unless
 * `confirmVariant` says otherwise (a quiet button in a table row that still confirms a deletion:
 * `variant="secondary" confirmVariant="danger"`).
 */
export function ConfirmButton({
  children,
  title,
  body,
  confirmLabel,
  cancelLabel,
  variant = 'danger',
  confirmVariant = variant === 'danger' ? 'danger' : 'primary',
}: {
  children: ReactNode;
  title: string;
  body: ReactNode;
  confirmLabel: string;
  cancelLabel: string;
  variant?: 'danger' | 'secondary' | 'primary';
  confirmVariant?: 'danger' | 'primary';
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  return (
    <>
      <Button type="button" variant={variant} onClick={() => dialog.current?.showModal()}>
        {children}
      </Button>
      <dialog
        ref={dialog}
        aria-label={title}
        className="m-auto w-full max-w-md rounded-xl p-0 shadow-xl ring-1 ring-slate-200 backdrop:bg-slate-900/40"
      >
        <div className="space-y-3 p-5">
          <h2 className="text-base font-semibold text-slate-900">{title}</h2>
          <div className="text-sm text-slate-600">{body}</div>
          <div className="flex justify-end gap-2 pt-2">
            <Button type="button" variant="secondary" onClick={() => dialog.current?.close()}>
              {cancelLabel}
            </Button>
            <Button type="submit" variant={confirmVariant} onClick={() => dialog.current?.close()}>
              {confirmLabel}
            </Button>
          </div>
        </div>
      </dialog>
    </>
  );
}
