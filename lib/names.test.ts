import { describe, expect, it } from 'vitest';
import { checkName, joinPath } from './names';

describe('checkName', () => {
  it.each(['India', 'HR', 'Sales & Marketing'.replace('&', 'and'), '人事部', 'R-D_team', "O'Brien, Ltd", 'A|B', 'ｶﾀｶﾅ', 'Ünïcødé 2'])(
    'accepts %s',
    (name) => expect(checkName(name)).toBeNull(),
  );
  it.each([
    ['', 'required'],
    ['a'.repeat(65), 'tooLong'],
    [' India', 'edgeSpace'],
    ['India ', 'edgeSpace'],
    ['India/HR', 'invalidChars'],
    ['<script>', 'invalidChars'],
    ['R&D', 'invalidChars'],
    ['Sales__EU', 'separator'],
  ])('refuses %j as %s', (name, problem) => expect(checkName(name)).toBe(problem));
  it('counts characters, not UTF-16 units', () => expect(checkName('𠮷'.repeat(64))).toBeNull());
});

describe('joinPath', () => {
  it('joins with two underscores, root first', () => {
    expect(joinPath(null, 'CA')).toBe('CA');
    expect(joinPath('CA__India', 'HR')).toBe('CA__India__HR');
  });
});
