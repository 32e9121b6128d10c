/** Strongly connected components, flat: component k is `members[ends[k-1] ?? 0 … ends[k])`. */
export interface Components {
  readonly members: Int32Array;
  readonly ends: Int32Array;
}

/**
 * Tarjan's strongly connected components over nodes 0…count-1. Components come out leaves
 * first (a component is emitted only after every component it points to), which is the order
 * a file must be hashed in: after every file it references. Roots are visited in ascending
 * order (`isRoot`), targets in the order `targetsOf` gives (ascending, for a deterministic
 * result), and each component's members are sorted. Iterative, so a 10,000-deep import chain
 * does not overflow the stack; its state is typed arrays, a few bytes a node outside the
 * garbage-collected heap, so a large site costs no garbage to order.
 */
export function stronglyConnected(
  count: number,
  isRoot: (node: number) => boolean,
  targetsOf: (node: number) => readonly number[],
): Components {
  const index = new Int32Array(count).fill(-1);
  const low = new Int32Array(count);
  const onStack = new Uint8Array(count);
  const stack = new Int32Array(count);
  const workNode = new Int32Array(count);
  const workNext = new Int32Array(count);
  const workTargets: (readonly number[])[] = [];
  const members = new Int32Array(count);
  const ends: number[] = [];
  let sp = 0;
  let emitted = 0;
  let counter = 0;
  const visit = (node: number, wp: number) => {
    index[node] = counter;
    low[node] = counter;
    counter += 1;
    stack[sp++] = node;
    onStack[node] = 1;
    workNode[wp] = node;
    workNext[wp] = 0;
    workTargets[wp] = targetsOf(node);
  };
  for (let root = 0; root < count; root++) {
    if (index[root] !== -1 || !isRoot(root)) continue;
    let wp = 0;
    visit(root, wp);
    wp += 1;
    while (wp > 0) {
      const top = wp - 1;
      const node = workNode[top] as number;
      const targets = workTargets[top] as readonly number[];
      const next = workNext[top] as number;
      if (next < targets.length) {
        const target = targets[next] as number;
        workNext[top] = next + 1;
        if (index[target] === -1) {
          visit(target, wp);
          wp += 1;
        } else if (onStack[target] === 1) {
          low[node] = Math.min(low[node] as number, index[target] as number);
        }
        continue;
      }
      wp -= 1;
      workTargets.length = wp;
      if (wp > 0) {
        const parent = workNode[wp - 1] as number;
        low[parent] = Math.min(low[parent] as number, low[node] as number);
      }
      if (low[node] === index[node]) {
        const start = emitted;
        let member: number;
        do {
          member = stack[--sp] as number;
          onStack[member] = 0;
          members[emitted++] = member;
        } while (member !== node);
        members.subarray(start, emitted).sort();
        ends.push(emitted);
      }
    }
  }
  return { members: members.slice(0, emitted), ends: Int32Array.from(ends) };
}
