import { createTranslator } from 'next-intl';
import { describe, expect, it } from 'vitest';
import { catalogues } from '@/lib/i18n/messages';
import { changeValue, duration, fieldLabel, labelCase, orgPath, outcomesFor } from './labels';
import { fullCounts, hasResults } from '@/lib/imports';

const rows = (locale: 'en' | 'ja') => createTranslator({ locale, messages: catalogues[locale], namespace: 'importRows' }) as unknown as (k: string) => string;
const durations = (locale: 'en' | 'ja') =>
  createTranslator({ locale, messages: catalogues[locale], namespace: 'imports.duration' }) as unknown as (k: string, v?: Record<string, string | number>) => string;

describe('import screen labels', () => {
  it('words a change’s values: Y/N, empty, member status, language, lists', () => {
    const en = rows('en');
    const ja = rows('ja');
    expect(changeValue('admin', true, en)).toBe('Y');
    expect(changeValue('emailNotifications', false, ja)).toBe('N');
    expect(changeValue('description', '', en)).toBe('(empty)');
    expect(changeValue('groups', [], ja)).toBe('（空欄）');
    expect(changeValue('services', null, en)).toBe('(empty)');
    expect(changeValue('active', 'deactivated', en)).toBe('deactivated');
    expect(changeValue('active', 'invited', ja)).toBe('招待中');
    expect(changeValue('language', 'ja', en)).toBe('Japanese');
    expect(changeValue('language', 'en', ja)).toBe('英語');
    expect(changeValue('groups', ['Sales', 'Ops'], en)).toBe('Sales; Ops');
    expect(changeValue('firstName', 'active', en)).toBe('active'); // a name, not a status
  });

  it('names columns in the viewer’s language and paths as the files write them', () => {
    expect(fieldLabel('user', 'firstName', 'en')).toBe('First Name');
    expect(fieldLabel('user', 'firstName', 'ja')).toBe('名');
    expect(fieldLabel('organization', 'emailNotifications', 'ja')).toBe('メール通知');
    expect(fieldLabel('user', 'notAColumn', 'en')).toBe('notAColumn');
    expect(orgPath({ name: 'HR', parent: 'CA__India' })).toBe('CA__India__HR');
    expect(orgPath({ name: 'CA' })).toBe('CA');
    expect(orgPath({ parent: 'CA' })).toBe('CA');
  });

  it('says how long in seconds, minutes, or hours and minutes', () => {
    expect(duration(0.2, durations('en'))).toBe('1 second');
    expect(duration(42, durations('en'))).toBe('42 seconds');
    expect(duration(150, durations('en'))).toBe('3 minutes');
    expect(duration(3900, durations('en'))).toBe('1 hour 5 minutes');
    expect(duration(42, durations('ja'))).toBe('42秒');
    expect(duration(7260, durations('ja'))).toBe('2時間1分');
  });

  it('shows an operation’s outcomes, plus any other that has rows', () => {
    expect(outcomesFor('upsert', fullCounts({}))).toEqual(['created', 'updated', 'unchanged', 'error']);
    expect(outcomesFor('delete', fullCounts({}))).toEqual(['deleted', 'not_found', 'error']);
    expect(outcomesFor('delete', fullCounts({ unchanged: 1 }))).toEqual(['unchanged', 'deleted', 'not_found', 'error']);
  });

  it('has rows from the preview on: once the plan is stored, until it is discarded (a file refused while checking has none)', () => {
    const planned = fullCounts({ created: 2 });
    expect(hasResults({ status: 'uploaded', plannedCounts: {} })).toBe(false);
    expect(hasResults({ status: 'planning', plannedCounts: {} })).toBe(false);
    expect(hasResults({ status: 'planned', plannedCounts: planned })).toBe(true);
    expect(hasResults({ status: 'queued', plannedCounts: planned })).toBe(true);
    expect(hasResults({ status: 'discarded', plannedCounts: planned })).toBe(false);
    expect(hasResults({ status: 'failed', plannedCounts: {} })).toBe(false);
    // Failed after planning (the uploader lost their rights while queued, or the apply failed): the rows are there.
    expect(hasResults({ status: 'failed', plannedCounts: planned })).toBe(true);
    expect(hasResults({ status: 'cancelled', plannedCounts: planned })).toBe(true);
  });

  it('capitalises outcome words as labels in English only', () => {
    expect(labelCase('not found', 'en')).toBe('Not found');
    expect(labelCase('該当なし', 'ja')).toBe('該当なし');
  });
});
