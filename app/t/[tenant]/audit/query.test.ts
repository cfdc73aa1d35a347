import { describe, expect, it } from 'vitest';
import { auditFiltersOf, auditQueryString, isoInTimeZone, parseAuditQuery, startOfDayIn, zoneOffsetMinutes } from './query';

describe('parseAuditQuery', () => {
  it('reads, trims and defaults', () => {
    const q = parseAuditQuery({ actor: ' Admin@ ', action: 'org.update', page: '3', from: '2025-03-10', to: ['2025-03-11', 'x'] });
    expect(q).toEqual({ actor: 'Admin@', action: 'org.update', targetType: '', target: '', from: '2025-03-10', to: '2025-03-11', importId: '', page: 3 });
    expect(parseAuditQuery(new URLSearchParams('target=HR&page=2')).target).toBe('HR');
  });

  it('drops impossible dates and pages', () => {
    const q = parseAuditQuery({ from: '2025-02-30', to: '11/03/2025', page: '-1' });
    expect([q.from, q.to, q.page]).toEqual(['', '', 1]);
    expect(parseAuditQuery({ page: 'abc' }).page).toBe(1);
  });

  it('caps text length', () => {
    expect(parseAuditQuery({ actor: 'a'.repeat(500) }).actor).toHaveLength(200);
  });
});

describe('auditQueryString', () => {
  it('keeps only what is set, page 1 left out', () => {
    const q = parseAuditQuery({ actor: 'a b', action: 'org.update', page: '2' });
    expect(auditQueryString(q)).toBe('?actor=a+b&action=org.update&page=2');
    expect(auditQueryString(q, 1)).toBe('?actor=a+b&action=org.update');
    expect(auditQueryString(parseAuditQuery({}))).toBe('');
  });
});

describe('time zones', () => {
  it('finds the offset', () => {
    expect(zoneOffsetMinutes(new Date('2025-03-10T00:00:00Z'), 'Asia/Tokyo')).toBe(540);
    expect(zoneOffsetMinutes(new Date('2025-01-10T00:00:00Z'), 'America/New_York')).toBe(-300);
    expect(zoneOffsetMinutes(new Date('2025-07-10T00:00:00Z'), 'America/New_York')).toBe(-240);
    expect(zoneOffsetMinutes(new Date('2025-07-10T00:00:00Z'), 'Asia/Kolkata')).toBe(330);
  });

  it('starts a day in the zone', () => {
    expect(startOfDayIn('2025-03-11', 'Asia/Tokyo')?.toISOString()).toBe('2025-03-10T15:00:00.000Z');
    expect(startOfDayIn('2025-03-11', 'UTC')?.toISOString()).toBe('2025-03-11T00:00:00.000Z');
    expect(startOfDayIn('2025-03-31', 'Asia/Tokyo', 1)?.toISOString()).toBe('2025-03-31T15:00:00.000Z');
    // DST starts on 2025-03-09 in New York (at 02:00, after midnight): midnight is still EST.
    expect(startOfDayIn('2025-03-09', 'America/New_York')?.toISOString()).toBe('2025-03-09T05:00:00.000Z');
    expect(startOfDayIn('2025-03-10', 'America/New_York')?.toISOString()).toBe('2025-03-10T04:00:00.000Z');
    expect(startOfDayIn('nope', 'UTC')).toBeUndefined();
  });

  it('makes the to-day inclusive', () => {
    const f = auditFiltersOf(parseAuditQuery({ from: '2025-03-10', to: '2025-03-10' }), 'Asia/Tokyo');
    expect(f.from?.toISOString()).toBe('2025-03-09T15:00:00.000Z');
    expect(f.to?.toISOString()).toBe('2025-03-10T15:00:00.000Z');
    expect(auditFiltersOf(parseAuditQuery({}), 'UTC')).toEqual({
      actor: undefined, action: undefined, targetType: undefined, target: undefined, importId: undefined, from: undefined, to: undefined,
    });
  });

  it('writes ISO 8601 with the offset', () => {
    const at = new Date('2025-03-10T15:30:12.345Z');
    expect(isoInTimeZone(at, 'Asia/Tokyo')).toBe('2025-03-11T00:30:12.345+09:00');
    expect(isoInTimeZone(at, 'UTC')).toBe('2025-03-10T15:30:12.345+00:00');
    expect(isoInTimeZone(at, 'America/New_York')).toBe('2025-03-10T11:30:12.345-04:00');
    expect(new Date(isoInTimeZone(at, 'Asia/Kolkata')).getTime()).toBe(at.getTime());
  });
});
