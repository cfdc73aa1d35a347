'use client';

import clsx from 'clsx';
import { useFormatter, useTranslations } from 'next-intl';
import { useRef, useState } from 'react';
import { useFormStatus } from 'react-dom';
import { ActionForm, type FormAction, useFieldError, useFieldValue, useFormResult } from '@/components/forms/action-form';
import { Button, buttonClasses } from '@/components/ui/button';

const ACCEPT = '.xlsx,.csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,text/csv';

/**
 * The upload: the file (its size checked here before it is sent, so a 200 MB file is not
 * uploaded to be refused) and the operation. The server reads the whole file and refuses one
 * that cannot be an import with its message; on success it opens the import's page.
 */
export function UploadForm({ action, tenant, maxBytes, maxRows }: { action: FormAction; tenant: string; maxBytes: number; maxRows: number }) {
  const t = useTranslations('imports.upload');
  return (
    <ActionForm action={action} tenant={tenant} aria-label={t('title')} showSuccess={false}>
      <UploadFields maxBytes={maxBytes} maxRows={maxRows} />
    </ActionForm>
  );
}

type Picked = { name: string; size: number; error?: string } | null;

function UploadFields({ maxBytes, maxRows }: { maxBytes: number; maxRows: number }) {
  const t = useTranslations('imports.upload');
  const state = useFormResult();
  const [picked, setPicked] = useState<Picked>(null);
  // After a submit the form is reset: what was picked is gone, the server's word stands.
  const [seen, setSeen] = useState(state);
  if (seen !== state) {
    setSeen(state);
    setPicked(null);
  }
  return (
    <>
      <FileField maxBytes={maxBytes} maxRows={maxRows} picked={picked} onPick={setPicked} />
      <OperationField />
      <div className="flex flex-wrap items-center gap-x-4 gap-y-2 pt-1">
        <Submit blocked={Boolean(picked?.error)} />
        <p className="text-sm text-slate-500">{t('reassurance')}</p>
      </div>
    </>
  );
}

/** Disabled while the upload runs, and while the picked file is one the server would refuse anyway. */
function Submit({ blocked }: { blocked: boolean }) {
  const t = useTranslations('imports.upload');
  const { pending } = useFormStatus();
  return (
    <Button type="submit" disabled={pending || blocked} aria-busy={pending}>
      {pending && <span aria-hidden className="h-4 w-4 animate-spin rounded-full border-2 border-white/40 border-t-white" />}
      {pending ? t('working') : t('submit')}
    </Button>
  );
}

/**
 * The file: a drop zone with a "Choose file" button in the viewer's language (the native control
 * speaks the browser's). The input itself stays in the form, visually hidden but focusable; the
 * zone shows its focus and takes a dropped file.
 */
function FileField({ maxBytes, maxRows, picked, onPick }: { maxBytes: number; maxRows: number; picked: Picked; onPick: (p: Picked) => void }) {
  const t = useTranslations('imports.upload');
  const format = useFormatter();
  const serverError = useFieldError('file');
  const input = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);
  const mb = (bytes: number) => Math.round((bytes / (1024 * 1024)) * 10) / 10;
  const error = picked?.error ?? serverError;
  const id = 'f-file';
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const judge = (file: File | undefined) => {
    if (!file) return onPick(null);
    let problem: string | undefined;
    // Only the size is judged here; the server judges the content (an .xls or .xlsb gets its own advice).
    if (file.size > maxBytes) problem = t('fileTooLarge', { sizeMb: mb(file.size), limitMb: mb(maxBytes) });
    onPick({ name: file.name, size: file.size, error: problem });
  };
  return (
    <div>
      <label htmlFor={id} className="block text-sm font-medium text-slate-700">
        {t('file')}
      </label>
      <input
        ref={input}
        id={id}
        name="file"
        type="file"
        accept={ACCEPT}
        required
        aria-invalid={error ? true : undefined}
        aria-describedby={[hintId, error ? errorId : null].filter(Boolean).join(' ')}
        onChange={(e) => judge(e.currentTarget.files?.[0])}
        className="peer sr-only"
      />
      <div
        onClick={() => input.current?.click()}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          const files = e.dataTransfer.files;
          if (!input.current || files.length === 0) return;
          input.current.files = files;
          judge(files[0]);
        }}
        className={clsx(
          'mt-1 flex cursor-pointer flex-wrap items-center gap-x-3 gap-y-2 rounded-lg border-2 border-dashed px-4 py-4 transition-colors',
          'peer-focus-visible:outline-2 peer-focus-visible:outline-offset-2 peer-focus-visible:outline-brand-500',
          dragging ? 'border-brand-500 bg-brand-50' : error ? 'border-red-300 bg-red-50/40' : 'border-slate-300 bg-slate-50/60 hover:border-slate-400',
        )}
      >
        <span aria-hidden className={buttonClasses('secondary')}>
          <svg viewBox="0 0 20 20" fill="currentColor" className="h-4 w-4 text-slate-500">
            <path d="M9.25 13.25a.75.75 0 0 0 1.5 0V4.636l2.955 3.129a.75.75 0 0 0 1.09-1.03l-4.25-4.5a.75.75 0 0 0-1.09 0l-4.25 4.5a.75.75 0 1 0 1.09 1.03L9.25 4.636v8.614Z" />
            <path d="M3.5 12.75a.75.75 0 0 0-1.5 0v2.5A2.75 2.75 0 0 0 4.75 18h10.5A2.75 2.75 0 0 0 18 15.25v-2.5a.75.75 0 0 0-1.5 0v2.5c0 .69-.56 1.25-1.25 1.25H4.75c-.69 0-1.25-.56-1.25-1.25v-2.5Z" />
          </svg>
          {t('choose')}
        </span>
        {picked ? (
          <span className="min-w-0 text-sm text-slate-800 [overflow-wrap:anywhere]">
            <span className="font-medium">{picked.name}</span>
            <span className="text-slate-500"> · {format.number(Math.max(mb(picked.size), 0.1))} MB</span>
          </span>
        ) : (
          <span className="text-sm text-slate-500">{t('noFile')}</span>
        )}
      </div>
      <p id={hintId} className="mt-1 text-xs text-slate-500">
        {t('fileHint', { maxMb: mb(maxBytes), maxRows })}
      </p>
      {error && (
        <p id={errorId} className="mt-1 text-xs text-red-600">
          {error}
        </p>
      )}
    </div>
  );
}

const OPERATIONS = ['upsert', 'delete'] as const;

function OperationField() {
  const t = useTranslations('imports');
  const state = useFormResult();
  const chosen = useFieldValue('operation', 'upsert');
  const error = useFieldError('operation');
  return (
    <fieldset key={state.status === 'error' ? state.at : 'initial'} aria-describedby={error ? 'f-operation-error' : undefined}>
      <legend className="text-sm font-medium text-slate-700">{t('upload.operation')}</legend>
      <div className="mt-2 grid gap-3 sm:grid-cols-2">
        {OPERATIONS.map((op) => (
          <label
            key={op}
            className="flex cursor-pointer items-start gap-3 rounded-lg p-3 ring-1 ring-inset ring-slate-200 hover:bg-slate-50 has-[:checked]:bg-brand-50 has-[:checked]:ring-2 has-[:checked]:ring-brand-500"
          >
            <input
              type="radio"
              name="operation"
              value={op}
              defaultChecked={chosen === op}
              aria-describedby={`f-operation-${op}-hint`}
              className="mt-0.5 h-4 w-4 border-slate-300 text-brand-600 focus:ring-brand-500"
            />
            <span>
              <span className="block text-sm font-medium text-slate-900">{t(`operations.${op}`)}</span>
              <span id={`f-operation-${op}-hint`} className="mt-0.5 block text-xs text-slate-600">
                {t(`upload.operationHints.${op}`)}
              </span>
            </span>
          </label>
        ))}
      </div>
      {error && (
        <p id="f-operation-error" className="mt-1 text-xs text-red-600">
          {error}
        </p>
      )}
    </fieldset>
  );
}
