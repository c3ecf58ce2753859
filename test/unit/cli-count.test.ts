import { describe, expect, it } from 'vitest';
import { counted, noun } from '../../cli/count';

describe('counted', () => {
  it('says one thing in the singular and any other number in the plural', () => {
    expect(counted(1, 'error')).toBe('1 error');
    expect(counted(0, 'error')).toBe('0 errors');
    expect(counted(2, 'task')).toBe('2 tasks');
    expect(counted(1000, 'document')).toBe('1,000 documents');
  });

  it('takes an irregular plural when given one', () => {
    expect(counted(1, 'try', 'tries')).toBe('1 try');
    expect(counted(3, 'try', 'tries')).toBe('3 tries');
    expect(noun(1, 'entry', 'entries')).toBe('entry');
  });
});
