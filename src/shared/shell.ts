/**
 * The one quoting helper for every remote command: whatever text goes into a shell command line
 * on a host (paths, URLs, names, nonces) goes through `shq`.
 */

/** Quote a string for POSIX sh as one word. */
export function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
