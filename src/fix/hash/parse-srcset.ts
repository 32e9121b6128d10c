/** One image candidate of a `srcset`: the URL and where it is in the attribute value. */
export interface SrcsetCandidate {
  readonly url: string;
  readonly start: number;
  readonly end: number;
}

/**
 * The URLs of a `srcset` / `imagesrcset` value with their offsets, following the HTML
 * standard's algorithm: a candidate is a run of non-whitespace (trailing commas belong to the
 * separator), then descriptors (`1x`, `480w`) up to the next comma outside parentheses.
 */
export function parseSrcset(value: string): SrcsetCandidate[] {
  const out: SrcsetCandidate[] = [];
  let i = 0;
  while (i < value.length) {
    while (i < value.length && /[\s,]/.test(value[i] as string)) i += 1;
    if (i >= value.length) break;
    const start = i;
    while (i < value.length && !/\s/.test(value[i] as string)) i += 1;
    let end = i;
    let endedWithComma = false;
    while (end > start && value[end - 1] === ',') {
      end -= 1;
      endedWithComma = true;
    }
    if (end > start) out.push({ url: value.slice(start, end), start, end });
    if (endedWithComma) continue;
    let depth = 0;
    while (i < value.length) {
      const c = value[i];
      if (c === '(') depth += 1;
      else if (c === ')') depth = Math.max(0, depth - 1);
      else if (c === ',' && depth === 0) break;
      i += 1;
    }
  }
  return out;
}
