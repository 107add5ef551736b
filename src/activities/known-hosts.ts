/**
 * Host key verification against an OpenSSH known_hosts file, as OpenSSH reads it: plain host
 * names, `[host]:port` for ports other than 22, comma lists, `*`/`?` wildcards, `!` negations,
 * hashed entries (`|1|salt|hash`, HMAC-SHA1 of the name), and the `@revoked` marker
 * (`@cert-authority` lines are skipped: host certificates are not supported).
 * Pure functions: the caller reads the file.
 */
import { createHash, createHmac } from 'node:crypto';
import type { ServerHostKeyAlgorithm } from 'ssh2';

export interface KnownKey {
  /** Key type as written in known_hosts, e.g. `ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`. */
  type: string;
  /** The key blob, base64 as in the file. */
  base64: string;
  /** 1-based line in known_hosts. */
  line: number;
}

export interface KnownHostsLookup {
  keys: KnownKey[];
  revoked: KnownKey[];
}

/** OpenSSH's fingerprint of a key blob: `SHA256:` + unpadded base64 of its SHA-256. */
export function fingerprint(keyBlob: Buffer | string): string {
  const blob = typeof keyBlob === 'string' ? Buffer.from(keyBlob, 'base64') : keyBlob;
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type encoded at the start of an SSH public key blob (`string type`), or '' when unreadable. */
export function keyBlobType(blob: Buffer): string {
  if (blob.length < 4) return '';
  const len = blob.readUInt32BE(0);
  if (len <= 0 || len > 64 || 4 + len > blob.length) return '';
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** The names a host is looked up under: `host` for port 22, else `[host]:port` (OpenSSH's rule). */
export function hostNames(address: string, port: number): string[] {
  return port === 22 ? [address, `[${address}]:22`] : [`[${address}]:${port}`];
}

/** One comma-separated pattern of a host field, compiled once per file read. */
interface HostPattern {
  negated: boolean;
  /** `|1|salt|hash` entries are matched by HMAC; the rest by their (maybe wildcard) pattern. */
  hashed?: { salt: Buffer; hash: string };
  glob?: RegExp;
  /** Lower-case plain name (no wildcard). */
  plain?: string;
}

interface KnownLine {
  patterns: HostPattern[];
  marker?: string;
  key: KnownKey;
}

/** A known_hosts file read once: lines with only plain names indexed by name, the others in a list. */
interface KnownHostsIndex {
  byName: Map<string, KnownLine[]>;
  /** Lines with a wildcard, a negation or a hashed name: checked one by one (usually few). */
  scanned: KnownLine[];
}

function compilePattern(raw: string): HostPattern {
  const negated = raw.startsWith('!');
  const pattern = negated ? raw.slice(1) : raw;
  const h = /^\|1\|([^|]+)\|(.+)$/.exec(pattern);
  if (h) return { negated, hashed: { salt: Buffer.from(h[1]!, 'base64'), hash: h[2]! } };
  if (!/[*?]/.test(pattern)) return { negated, plain: pattern.toLowerCase() };
  const re = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return { negated, glob: new RegExp(`^${re}$`, 'i') };
}

function patternHits(p: HostPattern, names: string[]): boolean {
  if (p.hashed) {
    const { salt, hash } = p.hashed;
    return names.some((n) => createHmac('sha1', salt).update(n).digest('base64') === hash);
  }
  if (p.plain !== undefined) return names.some((n) => n.toLowerCase() === p.plain);
  return names.some((n) => p.glob!.test(n));
}

function fieldMatches(patterns: HostPattern[], names: string[]): boolean {
  let matched = false;
  for (const p of patterns) {
    const hit = patternHits(p, names);
    if (hit && p.negated) return false;
    if (hit) matched = true;
  }
  return matched;
}

/** Whether the host field of a known_hosts line (comma list, maybe hashed or negated) names this host. */
export function hostFieldMatches(field: string, names: string[]): boolean {
  return fieldMatches(field.split(',').map(compilePattern), names);
}

function indexKnownHosts(text: string): KnownHostsIndex {
  const index: KnownHostsIndex = { byName: new Map(), scanned: [] };
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    let parts = line.split(/\s+/);
    let marker: string | undefined;
    if (parts[0]?.startsWith('@')) {
      marker = parts[0];
      parts = parts.slice(1);
    }
    const [hosts, type, base64] = parts;
    if (!hosts || !type || !base64 || marker === '@cert-authority') return;
    const patterns = hosts.split(',').map(compilePattern);
    const entry: KnownLine = { patterns, key: { type, base64, line: i + 1 }, ...(marker ? { marker } : {}) };
    if (patterns.every((p) => p.plain !== undefined && !p.negated)) {
      for (const p of new Set(patterns.map((x) => x.plain!))) {
        const list = index.byName.get(p);
        if (list) list.push(entry);
        else index.byName.set(p, [entry]);
      }
    } else {
      index.scanned.push(entry);
    }
  });
  return index;
}

/**
 * The last file read, indexed: every SSH connection looks its host up twice (the algorithms to
 * offer, then the key), and a file of thousands of hosts would otherwise be scanned, and every
 * pattern compiled, each time.
 */
let lastIndex: { text: string; index: KnownHostsIndex } | undefined;

function indexOf(text: string): KnownHostsIndex {
  if (lastIndex?.text !== text) lastIndex = { text, index: indexKnownHosts(text) };
  return lastIndex.index;
}

/** Every key known_hosts lists for this host and port (and the revoked ones), in file order. */
export function lookupKnownHosts(text: string, address: string, port: number): KnownHostsLookup {
  const names = hostNames(address, port);
  const index = indexOf(text);
  const found = new Set<KnownLine>();
  for (const n of names) for (const e of index.byName.get(n.toLowerCase()) ?? []) found.add(e);
  for (const e of index.scanned) if (fieldMatches(e.patterns, names)) found.add(e);
  const out: KnownHostsLookup = { keys: [], revoked: [] };
  for (const e of [...found].sort((a, b) => a.key.line - b.key.line)) {
    if (e.marker === '@revoked') out.revoked.push(e.key);
    else if (!e.marker) out.keys.push(e.key);
  }
  return out;
}

export type HostKeyVerdict =
  | { ok: true; fingerprint: string }
  | {
      ok: false;
      reason: 'unknown' | 'mismatch' | 'revoked';
      seenType: string;
      seenFingerprint: string;
      /** Fingerprints known_hosts lists for the host (type and fingerprint). */
      expected: string[];
    };

/** Verify the key a host presented (its raw blob) against known_hosts text. */
export function verifyHostKey(knownHostsText: string, address: string, port: number, seen: Buffer): HostKeyVerdict {
  const found = lookupKnownHosts(knownHostsText, address, port);
  const seenB64 = seen.toString('base64');
  const seenFingerprint = fingerprint(seen);
  const seenType = keyBlobType(seen);
  const expected = found.keys.map((k) => `${k.type} ${fingerprint(k.base64)}`);
  if (found.revoked.some((k) => k.base64 === seenB64)) {
    return { ok: false, reason: 'revoked', seenType, seenFingerprint, expected };
  }
  if (found.keys.some((k) => k.base64 === seenB64)) return { ok: true, fingerprint: seenFingerprint };
  return { ok: false, reason: found.keys.length === 0 ? 'unknown' : 'mismatch', seenType, seenFingerprint, expected };
}

/** ssh2's host key algorithm names for a known_hosts key type. */
function algorithmsFor(type: string): ServerHostKeyAlgorithm[] {
  if (type === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  return DEFAULT_HOST_KEY_ALGORITHMS.filter((a) => a === type);
}

/** ssh2's default order of host key algorithms (1.17, with ed25519 support). */
const DEFAULT_HOST_KEY_ALGORITHMS: ServerHostKeyAlgorithm[] = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

/**
 * Host key algorithms to offer, those known_hosts has a key for first (as OpenSSH does), so a
 * host with several keys presents the one we can verify. The rest stay offered, so a host with
 * only other key types still connects and is reported as a mismatch rather than a handshake error.
 */
export function preferredHostKeyAlgorithms(
  knownHostsText: string,
  address: string,
  port: number
): ServerHostKeyAlgorithm[] {
  const known = lookupKnownHosts(knownHostsText, address, port).keys.flatMap((k) => algorithmsFor(k.type));
  const first = DEFAULT_HOST_KEY_ALGORITHMS.filter((a) => known.includes(a));
  return [...first, ...DEFAULT_HOST_KEY_ALGORITHMS.filter((a) => !first.includes(a))];
}

/** A message an operator can act on for a failed verification. */
export function describeHostKeyVerdict(
  verdict: Exclude<HostKeyVerdict, { ok: true }>,
  host: string,
  port: number,
  knownHostsPath: string
): string {
  const where = port === 22 ? host : `[${host}]:${port}`;
  const seen = `${verdict.seenType || 'key'} ${verdict.seenFingerprint}`;
  switch (verdict.reason) {
    case 'unknown':
      return (
        `SSH ${where}: host key ${seen} is not in ${knownHostsPath} (unknown host, nothing to verify it against). ` +
        `Check the fingerprint on the host's console (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub), ` +
        `then add it: ssh-keyscan -p ${port} ${host} >> ${knownHostsPath}`
      );
    case 'revoked':
      return `SSH ${where}: host key ${seen} is marked @revoked in ${knownHostsPath}. Do not connect; find out why the host presents a revoked key.`;
    case 'mismatch':
      return (
        `SSH ${where}: HOST KEY MISMATCH: expected ${verdict.expected.join(' or ')} (from ${knownHostsPath}), ` +
        `seen ${seen}. The host was reinstalled or someone is in between (man in the middle). ` +
        `Find out why; only if the change is expected, run ssh-keygen -R '${where}' -f ${knownHostsPath}, ` +
        `add the new key after checking its fingerprint, and retry the node.`
      );
  }
}
