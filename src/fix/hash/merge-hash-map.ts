/** The rev-manifest shape: original path → hashed path, `{ "assets/app.js": "assets/app.3f2a9c1b.js" }`. */
export type HashMap = Readonly<Record<string, string>>;

/** The maps of the last releases, newest first, kept beside the map file. */
export interface HashHistory {
  readonly version: 1;
  readonly releases: readonly HashMap[];
}

export interface MergedHashMap {
  readonly history: HashHistory;
  /** Hashed files of earlier releases to keep in the tree: pages still cached may ask for them. */
  readonly retained: readonly string[];
  /** Hashed files of releases older than `keep`, no longer named by any kept release. */
  readonly expired: readonly string[];
}

/**
 * Adds this release's map to the history and says which old hashed files stay (named by one
 * of the `keep` previous releases but not by this one) and which expire (named only by
 * releases that fall out). Pure; removing expired files from the tree is the caller's step.
 */
export function mergeHashMap(
  previous: HashHistory | undefined,
  current: HashMap,
  keep: number,
): MergedHashMap {
  const older = previous?.releases ?? [];
  const releases = [current, ...older].slice(0, keep + 1);
  const dropped = older.slice(keep);
  const live = new Set(Object.values(current));
  const kept = new Set<string>();
  for (const release of releases.slice(1)) {
    for (const name of Object.values(release)) if (!live.has(name)) kept.add(name);
  }
  const expired = new Set<string>();
  for (const release of dropped) {
    for (const name of Object.values(release))
      if (!live.has(name) && !kept.has(name)) expired.add(name);
  }
  return {
    history: { version: 1, releases },
    retained: [...kept].sort(),
    expired: [...expired].sort(),
  };
}

/** Reads a history document, or undefined when it is not one (the caller names the file). */
export function parseHashHistory(value: unknown): HashHistory | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { version, releases } = value as { version?: unknown; releases?: unknown };
  if (version !== 1 || !Array.isArray(releases)) return undefined;
  const valid = releases.every(
    (release) =>
      typeof release === 'object' &&
      release !== null &&
      Object.values(release as object).every((name) => typeof name === 'string'),
  );
  return valid ? { version: 1, releases: releases as HashMap[] } : undefined;
}
