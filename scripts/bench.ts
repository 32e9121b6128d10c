/**
 * Runs the benchmarks in scripts/bench/. `npm run bench` runs them all, `npm run bench -- scan`
 * only the ones named. Each module exports `run()`, prints its results with goals beside them,
 * and never fails the process for a missed goal: benchmarks measure, tests judge.
 */
interface BenchModule {
  run(): Promise<void>;
}

// Adding a bench is one line here.
const BENCHES: Record<string, () => Promise<BenchModule>> = {
  startup: () => import('./bench/startup.ts'),
  scan: () => import('./bench/scan.ts'),
  purge: () => import('./bench/purge.ts'),
  verify: () => import('./bench/verify.ts'),
  hash: () => import('./bench/hash.ts'),
  scale: () => import('./bench/scale.ts'),
  packed: () => import('./bench/packed.ts'),
};

const asked = process.argv.slice(2);
const unknown = asked.filter((name) => !(name in BENCHES));
if (unknown.length > 0) {
  console.error(`unknown bench: ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}`);
  process.exit(2);
}
for (const name of asked.length > 0 ? asked : Object.keys(BENCHES)) {
  console.log(`\n== bench: ${name} ==`);
  const load = BENCHES[name] as () => Promise<BenchModule>;
  await (await load()).run();
}
