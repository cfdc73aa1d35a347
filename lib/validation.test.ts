import { describe, expect, it } from 'vitest';
import { zOptionalText, zText } from './validation';

describe('text limits count characters, as the domain does', () => {
  it('takes emoji and rare kanji as one character each', () => {
    const emoji = '😀'.repeat(10); // 20 UTF-16 units
    expect(zText(10).safeParse(emoji).success).toBe(true);
    expect(zOptionalText(10).safeParse(`${emoji}a`).success).toBe(false);
  });

  it('refuses over the limit with tooLong and the limit, trims first, requires text when asked', () => {
    const result = zText(3).safeParse('abcd');
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]).toMatchObject({ message: 'tooLong', params: { maximum: 3 } });
    expect(zText(3).parse('  abc  ')).toBe('abc');
    expect(zText(3).safeParse('   ').error?.issues[0]?.message).toBe('required');
    expect(zOptionalText(3).parse(undefined)).toBe('');
  });
});
