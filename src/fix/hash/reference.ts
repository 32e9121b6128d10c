/** How a reference was written, for reports and for rules that depend on the form. */
export type ReferenceKind =
  | 'html-attribute'
  | 'srcset'
  | 'css-url'
  | 'css-import'
  | 'js-import'
  | 'js-dynamic-import'
  | 'js-new-url'
  | 'js-import-scripts'
  | 'service-worker'
  | 'import-map'
  | 'manifest'
  | 'source-map'
  /** `<base href>`: not a file to rename; it changes how the page's references resolve. */
  | 'base';

/**
 * Subresource Integrity on the element that holds a reference (`integrity="sha384-…"`), or an
 * import map's `integrity` value for the URL its key names.
 */
export interface IntegritySpan {
  readonly start: number;
  readonly end: number;
  readonly value: string;
}

/**
 * One reference found in a text file: the URL as written and where it is, as UTF-16 offsets
 * into the decoded text (`start` inclusive, `end` exclusive), so a rewrite replaces exactly
 * those characters and leaves every other byte of the file as it was.
 */
export interface Reference {
  readonly start: number;
  readonly end: number;
  /** The URL text (HTML entities decoded when the source had them; then `raw` differs). */
  readonly value: string;
  readonly kind: ReferenceKind;
  /** The target must keep its name (a registered service worker). */
  readonly keepName?: boolean;
  readonly integrity?: IntegritySpan;
}

/**
 * Shifts references found in an embedded fragment (a `<style>` block, an import map) to file
 * offsets, the `integrity` they carry (an import map's) with them.
 */
export function offsetReferences(refs: readonly Reference[], offset: number): Reference[] {
  return refs.map((ref) => ({
    ...ref,
    start: ref.start + offset,
    end: ref.end + offset,
    ...(ref.integrity === undefined
      ? {}
      : {
          integrity: {
            ...ref.integrity,
            start: ref.integrity.start + offset,
            end: ref.integrity.end + offset,
          },
        }),
  }));
}
