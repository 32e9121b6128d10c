import { describe, expect, it } from 'vitest';
import { grown } from '../../src/manifest/grown.ts';

type Column = Uint8Array | Uint16Array | Uint32Array | Float64Array;

describe('grown', () => {
  it.each<[string, Column, Column]>([
    ['Uint8Array', new Uint8Array([1, 2, 255]), new Uint8Array(5)],
    ['Uint16Array', new Uint16Array([1, 2, 65_535]), new Uint16Array(5)],
    ['Uint32Array', new Uint32Array([1, 2, 4_294_967_295]), new Uint32Array(5)],
    ['Float64Array', new Float64Array([1.5, -2, 1e300]), new Float64Array(5)],
  ])('%s: the new array holds the old values, then zeros', (_, from, to) => {
    const old = Array.from(from);
    const result = grown<Column>(from, to);
    expect(result).toBe(to);
    expect(Array.from(result)).toEqual([...old, 0, 0]);
  });

  it('detaches the old buffer, freeing it now rather than at the next GC', () => {
    const from = new Uint32Array([7, 8, 9]);
    const buffer = from.buffer;
    expect(buffer.byteLength).toBe(12);
    grown(from, new Uint32Array(6));
    expect(buffer.byteLength).toBe(0);
    expect(from.buffer.byteLength).toBe(0);
    expect(buffer.detached).toBe(true);
    expect(from.length).toBe(0);
  });

  it('leaves a new array of the same length an exact copy', () => {
    const from = new Uint16Array([3, 1, 4, 1, 5]);
    expect(Array.from(grown(from, new Uint16Array(5)))).toEqual([3, 1, 4, 1, 5]);
  });
});
