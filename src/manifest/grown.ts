/**
 * `from` copied into `to`, then freed now: `to` is fresh (zero pages the kernel maps only when
 * written), and `from`'s buffer is detached (transfer(0)), which frees its memory at once
 * instead of when the collector next finds it dead. Without that a million-file read held
 * every outgrown column until a full GC.
 */
export function grown<T extends Uint8Array | Uint16Array | Uint32Array | Float64Array>(
  from: T,
  to: T,
): T {
  to.set(from as never);
  (from.buffer as ArrayBuffer).transfer(0);
  return to;
}
