import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/verify/diagnose.ts';

describe('diagnose: which layer is stale', () => {
  it.each([
    // The origin never got the upload: whatever the edge does, the fix is at the origin.
    { origin: 'stale', edge: 'stale', fresh: false, diagnosis: 'origin-stale' },
    { origin: 'stale', edge: 'fresh', fresh: false, diagnosis: 'origin-stale' },
    { origin: 'stale', edge: 'unreachable', fresh: false, diagnosis: 'origin-stale' },
    // The origin has the bytes, the edge does not: the purge did not take.
    { origin: 'fresh', edge: 'stale', fresh: false, diagnosis: 'edge-stale' },
    { origin: 'fresh', edge: 'fresh', fresh: true, diagnosis: 'fresh' },
    // Both layers serve the new bytes; a validator or policy failure is not a stale layer.
    { origin: 'fresh', edge: 'fresh', fresh: false, diagnosis: 'fresh' },
    { origin: 'fresh', edge: 'unreachable', fresh: false, diagnosis: 'unknown' },
    { origin: 'unreachable', edge: 'stale', fresh: false, diagnosis: 'unknown' },
    { origin: 'unreachable', edge: 'fresh', fresh: false, diagnosis: 'unknown' },
    // verify.origin not set: only the edge was seen.
    { origin: 'unchecked', edge: 'fresh', fresh: true, diagnosis: 'fresh' },
    { origin: 'unchecked', edge: 'fresh', fresh: false, diagnosis: 'unknown' },
    { origin: 'unchecked', edge: 'stale', fresh: false, diagnosis: 'unknown' },
    { origin: 'unchecked', edge: 'unreachable', fresh: false, diagnosis: 'unknown' },
  ] as const)(
    'origin $origin, edge $edge, URL fresh $fresh → $diagnosis',
    ({ origin, edge, fresh, diagnosis }) => {
      expect(diagnose(origin, edge, fresh)).toBe(diagnosis);
    },
  );
});
