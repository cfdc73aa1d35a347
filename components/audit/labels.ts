import 'server-only';
import { getFormatter, getTranslations } from 'next-intl/server';
import { AUDIT_ACTIONS } from '@/lib/audit';

const KNOWN_ACTIONS: ReadonlySet<string> = new Set(AUDIT_ACTIONS);
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

export interface AuditLabels {
  /** The translated action name; an unknown name shows as recorded. */
  action(name: string): string;
  targetType(type: string): string;
  field(key: string): string;
  /** A before/after value for display: Yes/No, lists joined, known codes translated, instants formatted. */
  value(key: string, value: unknown): string;
  /** Who acted ('system' for work without a user). */
  actor(label: string, userId: string | null): string;
  time(date: Date): string;
}

/**
 * Labels for audit events in the request's language and time zone (pages, the history panel
 * and the CSV export share them). Anything not in the catalogue is shown raw rather than hidden.
 */
export async function getAuditLabels(): Promise<AuditLabels> {
  const [t, common, format] = await Promise.all([getTranslations('audit'), getTranslations('common'), getFormatter()]);
  const known = (key: string) => t.has(key);

  const value = (key: string, v: unknown): string => {
    if (v === null || v === undefined || v === '') return t('nothing');
    if (typeof v === 'boolean') return v ? common('yes') : common('no');
    if (Array.isArray(v)) return v.length === 0 ? t('nothing') : v.map((item) => value(key, item)).join(', ');
    if (typeof v === 'object') {
      const inner = Object.entries(v as Record<string, unknown>).map(([k, x]) => `${field(k)}: ${value(k, x)}`);
      return `(${inner.join(', ')})`;
    }
    if (typeof v === 'string') {
      // Codes like status 'active' have a translation; the key is checked so 'values.status' (an object) never matches.
      if (/^[a-zA-Z]+$/.test(key) && /^[a-zA-Z]+$/.test(v) && known(`values.${key}.${v}`)) return t(`values.${key}.${v}`);
      if (key.endsWith('At') && ISO_INSTANT.test(v) && !Number.isNaN(Date.parse(v))) return time(new Date(v));
      return v;
    }
    return String(v);
  };
  const field = (key: string) => (/^[a-zA-Z]+$/.test(key) && known(`fields.${key}`) ? t(`fields.${key}`) : key);
  const time = (date: Date) => format.dateTime(date, { dateStyle: 'medium', timeStyle: 'medium' });

  return {
    action: (name) => (KNOWN_ACTIONS.has(name) ? t(`actions.${name}`) : name),
    targetType: (type) => (/^[a-zA-Z]+$/.test(type) && known(`targetTypes.${type}`) ? t(`targetTypes.${type}`) : type),
    field,
    value,
    actor: (label, userId) => (userId === null && label === 'system' ? t('system') : label),
    time,
  };
}
