import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // End-to-end tests start real nginx and Varnish processes; give them room.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Worker threads spawned by the scanner run .ts files through Node's own type stripping.
    pool: 'forks',
  },
});
