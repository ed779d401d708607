import { describe, expect, it } from 'vitest';
import { CSV_BOM, csvCell, csvChunks, neutralise, toCsv } from '../../src/reports/csv.js';

describe('CSV cells', () => {
  it('neutralises text that a spreadsheet would run as a formula', () => {
    for (const text of ['=1+2', '+44 20', '-2+3', '@SUM(A1)', '\tx', '\rx', '  =HYPERLINK("http://x")']) {
      expect(neutralise(text)).toBe(`'${text}`);
    }
    for (const text of ['Ward too busy', 'a=b', '1-2', '']) expect(neutralise(text)).toBe(text);
  });

  it('keeps numbers numeric, negative ones too, and neutralises numeric-looking text', () => {
    expect(csvCell(-3)).toBe('-3');
    expect(csvCell(-0.25)).toBe('-0.25');
    expect(csvCell(1e-7)).toBe('1e-7');
    expect(csvCell(12)).toBe('12');
    expect(csvCell('-3')).toBe("'-3");
    expect(csvCell(Number.NaN)).toBe('');
    expect(csvCell(Number.POSITIVE_INFINITY)).toBe('');
  });

  it('quotes commas, quotes and line breaks, after neutralising', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('=1,"2"')).toBe('"\'=1,""2"""');
  });

  it('writes empty cells for null and undefined and words for booleans', () => {
    expect([null, undefined, true, false].map(csvCell)).toEqual(['', '', 'true', 'false']);
  });
});

describe('CSV documents', () => {
  it('start with a BOM and end every line with CRLF', () => {
    const text = toCsv(
      ['metric', 'value'],
      [
        ['a', 1],
        ['=b', -2],
      ],
    );
    expect(text).toBe(`${CSV_BOM}metric,value\r\na,1\r\n'=b,-2\r\n`);
    expect(Buffer.from(text, 'utf8').subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
  });

  it('are the same written a group of rows at a time, empty groups included', () => {
    const header = ['metric', 'value'];
    const rows = [
      ['a', 1],
      ['=b', -2],
      ['c, d', null],
      ['e', 0.5],
    ] as const;
    const chunks = [...csvChunks(header, [rows.slice(0, 1), [], rows.slice(1, 3), rows.slice(3)])];
    expect(chunks).toHaveLength(4);
    expect(chunks.join('')).toBe(toCsv(header, rows));
    expect([...csvChunks(header, [])].join('')).toBe(toCsv(header, []));
  });
});
