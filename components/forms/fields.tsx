'use client';

import clsx from 'clsx';
import type { InputHTMLAttributes, ReactNode, SelectHTMLAttributes, TextareaHTMLAttributes } from 'react';
import { useFormStatus } from 'react-dom';
import { Button } from '@/components/ui/button';
import { useFieldError, useFieldValue, useFormResult } from './action-form';

/*
 * Form controls for ActionForm: each has a visible label, shows its error beside it (tied with
 * aria-describedby) and keeps what the user typed after a failed submit.
 */

const INPUT =
  'mt-1 block w-full rounded-md border-0 bg-white px-3 py-2 text-sm text-slate-900 shadow-xs ring-1 ring-inset placeholder:text-slate-400 focus:ring-2 focus:ring-inset disabled:bg-slate-50 disabled:text-slate-500';

function Described({ id, error, hint }: { id: string; error?: string; hint?: ReactNode }) {
  return (
    <>
      {hint && !error && (
        <p id={`${id}-hint`} className="mt-1 text-xs text-slate-500">
          {hint}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} className="mt-1 text-xs text-red-600">
          {error}
        </p>
      )}
    </>
  );
}

function describedBy(id: string, error?: string, hint?: ReactNode) {
  return [error ? `${id}-error` : null, hint && !error ? `${id}-hint` : null].filter(Boolean).join(' ') || undefined;
}

type FieldProps = { label: string; name: string; hint?: ReactNode; className?: string };

/**
 * What Field, TextArea and Select share: the id, the error, what to show (echoed after a failed
 * submit), and the attributes that tie the control to its label, hint and error.
 */
function useControl(name: string, id: string | undefined, hint: ReactNode, defaultValue: unknown) {
  const controlId = id ?? `f-${name}`;
  const error = useFieldError(name);
  const value = useFieldValue(name, defaultValue === undefined ? undefined : String(defaultValue));
  const state = useFormResult();
  return {
    error,
    value,
    // A new key after each failed submit re-applies the echoed value.
    key: state.status === 'error' ? state.at : 'initial',
    attrs: {
      id: controlId,
      name,
      'aria-invalid': error ? true : undefined,
      'aria-describedby': describedBy(controlId, error, hint),
      className: clsx(INPUT, error ? 'ring-red-400 focus:ring-red-500' : 'ring-slate-300 focus:ring-brand-500'),
    },
  };
}

/** The label above a control and its hint or error below. */
function Labelled({ id, label, error, hint, className, children }: { id: string; label: string; error?: string; hint?: ReactNode; className?: string; children: ReactNode }) {
  return (
    <div className={className}>
      <label htmlFor={id} className="block text-sm font-medium text-slate-700">
        {label}
      </label>
      {children}
      <Described id={id} error={error} hint={hint} />
    </div>
  );
}

/** A labelled input. Outside an ActionForm (a GET form, the sign-in form) it is a plain input with `defaultValue`. */
export function Field({ label, name, hint, className, defaultValue, ...props }: FieldProps & Omit<InputHTMLAttributes<HTMLInputElement>, 'name'>) {
  const { error, value, key, attrs } = useControl(name, props.id, hint, defaultValue);
  return (
    <Labelled id={attrs.id} label={label} error={error} hint={hint} className={className}>
      <input key={key} {...attrs} defaultValue={props.type === 'password' ? undefined : value} {...props} />
    </Labelled>
  );
}

export function TextArea({ label, name, hint, className, defaultValue, ...props }: FieldProps & Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, 'name'>) {
  const { error, value, key, attrs } = useControl(name, props.id, hint, defaultValue);
  return (
    <Labelled id={attrs.id} label={label} error={error} hint={hint} className={className}>
      <textarea key={key} {...attrs} rows={3} defaultValue={value} {...props} />
    </Labelled>
  );
}

export function Select({
  label,
  name,
  hint,
  className,
  options,
  defaultValue,
  ...props
}: FieldProps & Omit<SelectHTMLAttributes<HTMLSelectElement>, 'name'> & { options: { value: string; label: string }[] }) {
  const { error, value, key, attrs } = useControl(name, props.id, hint, defaultValue);
  return (
    <Labelled id={attrs.id} label={label} error={error} hint={hint} className={className}>
      <select key={key} {...attrs} defaultValue={value} {...props}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </Labelled>
  );
}

/** A single checkbox; `value` defaults to "on" (what zCheckbox reads). */
export function Checkbox({ label, name, hint, className, ...props }: FieldProps & Omit<InputHTMLAttributes<HTMLInputElement>, 'name' | 'type'>) {
  const id = props.id ?? `f-${name}${props.value ? `-${props.value}` : ''}`;
  const error = useFieldError(name);
  return (
    <div className={clsx('flex items-start gap-2', className)}>
      <input
        id={id}
        type="checkbox"
        name={name}
        aria-describedby={describedBy(id, error, hint)}
        className="mt-0.5 h-4 w-4 rounded border-slate-300 text-brand-600 focus:ring-brand-500"
        {...props}
      />
      <div>
        <label htmlFor={id} className="text-sm text-slate-800">
          {label}
        </label>
        <Described id={id} error={error} hint={hint} />
      </div>
    </div>
  );
}

/** Checkboxes sharing one name (a list), in a fieldset with a legend. */
export function CheckboxGroup({
  legend,
  name,
  options,
  defaultChecked = [],
  hint,
}: {
  legend: string;
  name: string;
  options: { value: string; label: ReactNode }[];
  defaultChecked?: readonly string[];
  hint?: ReactNode;
}) {
  const error = useFieldError(name);
  const state = useFormResult();
  const echoed = state.status === 'error' ? state.values[name] : undefined;
  const checked = echoed === undefined ? defaultChecked : Array.isArray(echoed) ? echoed : [echoed];
  return (
    <fieldset key={state.status === 'error' ? state.at : 'initial'}>
      <legend className="text-sm font-medium text-slate-700">{legend}</legend>
      {hint && <p className="mt-0.5 text-xs text-slate-500">{hint}</p>}
      <div className="mt-2 space-y-1.5">
        {options.map((o) => (
          <div key={o.value} className="flex items-center gap-2">
            <input
              id={`f-${name}-${o.value}`}
              type="checkbox"
              name={name}
              value={o.value}
              defaultChecked={checked.includes(o.value)}
              className="h-4 w-4 rounded border-slate-300 text-brand-600 focus:ring-brand-500"
            />
            <label htmlFor={`f-${name}-${o.value}`} className="text-sm text-slate-800">
              {o.label}
            </label>
          </div>
        ))}
      </div>
      {error && <p className="mt-1 text-xs text-red-600">{error}</p>}
    </fieldset>
  );
}

/** The form's submit button: disabled with a "working" label while the action runs. */
export function SubmitButton({
  children,
  pendingLabel,
  variant = 'primary',
  className,
  name,
  value,
}: {
  children: ReactNode;
  pendingLabel?: ReactNode;
  variant?: 'primary' | 'secondary' | 'danger' | 'ghost';
  className?: string;
  name?: string;
  value?: string;
}) {
  const { pending } = useFormStatus();
  return (
    <Button type="submit" variant={variant} className={className} disabled={pending} aria-busy={pending} name={name} value={value}>
      {pending && pendingLabel ? pendingLabel : children}
    </Button>
  );
}
