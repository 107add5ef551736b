import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { utils } from 'ssh2';
import {
  describeHostKeyVerdict,
  fingerprint,
  hostFieldMatches,
  keyBlobType,
  lookupKnownHosts,
  preferredHostKeyAlgorithms,
  verifyHostKey,
} from '../../src/activities/known-hosts';

function newKey(type: 'ed25519' | 'ecdsa' = 'ed25519'): { line: string; blob: Buffer; b64: string; type: string } {
  const pub =
    type === 'ed25519'
      ? utils.generateKeyPairSync('ed25519').public
      : utils.generateKeyPairSync('ecdsa', { bits: 256 }).public;
  const [t, b64] = pub.split(' ') as [string, string];
  return { line: `${t} ${b64}`, blob: Buffer.from(b64, 'base64'), b64, type: t };
}

function hashed(name: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

describe('known_hosts lookup', { timeout: 10_000 }, () => {
  const k = newKey();

  test('a plain host name matches on port 22, and [host]:port on another port', () => {
    assert.equal(verifyHostKey(`10.0.0.11 ${k.line}\n`, '10.0.0.11', 22, k.blob).ok, true);
    assert.equal(verifyHostKey(`[10.0.0.11]:2222 ${k.line}\n`, '10.0.0.11', 2222, k.blob).ok, true);
    // OpenSSH never uses the plain name for a non-22 port
    assert.equal(verifyHostKey(`10.0.0.11 ${k.line}\n`, '10.0.0.11', 2222, k.blob).ok, false);
  });

  test('comma lists, wildcards and negations are honoured', () => {
    assert.ok(hostFieldMatches('master1,10.0.0.11', ['10.0.0.11']));
    assert.ok(hostFieldMatches('10.0.0.*', ['10.0.0.11']));
    assert.ok(hostFieldMatches('[10.0.0.1?]:2222', ['[10.0.0.11]:2222']));
    assert.ok(!hostFieldMatches('10.0.0.*,!10.0.0.11', ['10.0.0.11']));
  });

  test('hashed entries (|1|salt|hash) match the host they were made for only', () => {
    const text = `${hashed('[10.0.0.11]:2222')} ${k.line}\n`;
    assert.equal(verifyHostKey(text, '10.0.0.11', 2222, k.blob).ok, true);
    assert.equal(lookupKnownHosts(text, '10.0.0.12', 2222).keys.length, 0);
  });

  test('a file of thousands of hosts: each finds its own lines in file order, with the patterns and negations around them', () => {
    const lines = Array.from({ length: 3000 }, (_, i) => `10.1.${Math.floor(i / 250)}.${i % 250} ssh-ed25519 K${i}`);
    lines.splice(10, 0, '10.1.0.7,10.1.0.8 ssh-rsa SHARED');
    lines.push(
      '10.1.* ecdsa-sha2-nistp256 WILD',
      '!10.1.0.9,10.1.0.* ssh-ed25519 NOT9',
      '[10.1.0.7]:2222 ssh-ed25519 PORT'
    );
    const text = lines.join('\n');
    const keys = (host: string, port = 22) => lookupKnownHosts(text, host, port).keys.map((k) => k.base64);
    assert.deepEqual(keys('10.1.0.7'), ['K7', 'SHARED', 'WILD', 'NOT9']);
    assert.deepEqual(keys('10.1.0.9'), ['K9', 'WILD'], 'the negation excludes its line');
    assert.deepEqual(keys('10.1.11.249'), ['K2999', 'WILD']);
    assert.deepEqual(keys('10.1.0.7', 2222), ['PORT']);
    assert.deepEqual(keys('10.2.0.1'), []);
    assert.deepEqual(keys('10.1.0.7'), ['K7', 'SHARED', 'WILD', 'NOT9'], 'asked again: the same');
    assert.deepEqual(
      lookupKnownHosts(`${text}\n10.2.0.1 ssh-ed25519 NEW`, '10.2.0.1', 22).keys.map((k) => k.base64),
      ['NEW'],
      'a changed file is read again'
    );
  });

  test('comments, blank lines and @cert-authority lines are skipped; @revoked keys are refused', () => {
    const text = `# comment\n\n@cert-authority *.example ${newKey().line}\n@revoked 10.0.0.11 ${k.line}\n10.0.0.11 ${k.line}\n`;
    const v = verifyHostKey(text, '10.0.0.11', 22, k.blob);
    assert.equal(v.ok, false);
    assert.equal(!v.ok && v.reason, 'revoked');
  });
});

describe('host key verdicts', { timeout: 10_000 }, () => {
  test('a different key for a known host is a mismatch naming both fingerprints', () => {
    const known = newKey();
    const seen = newKey();
    const v = verifyHostKey(`[10.0.0.11]:2222 ${known.line}\n`, '10.0.0.11', 2222, seen.blob);
    assert.equal(v.ok, false);
    if (v.ok) return;
    assert.equal(v.reason, 'mismatch');
    assert.equal(v.seenFingerprint, fingerprint(seen.blob));
    assert.deepEqual(v.expected, [`ssh-ed25519 ${fingerprint(known.b64)}`]);
    const msg = describeHostKeyVerdict(v, '10.0.0.11', 2222, '/plans/known_hosts');
    assert.match(msg, /HOST KEY MISMATCH/);
    assert.ok(msg.includes(fingerprint(known.b64)) && msg.includes(fingerprint(seen.blob)));
    assert.match(msg, /ssh-keygen -R '\[10\.0\.0\.11\]:2222' -f \/plans\/known_hosts/);
  });

  test('a host not in known_hosts is unknown, with the ssh-keyscan fix', () => {
    const seen = newKey();
    const v = verifyHostKey('', '10.0.0.11', 22, seen.blob);
    assert.equal(!v.ok && v.reason, 'unknown');
    if (v.ok) return;
    assert.match(describeHostKeyVerdict(v, '10.0.0.11', 22, '/kh'), /ssh-keyscan -p 22 10\.0\.0\.11 >> \/kh/);
  });

  test('fingerprints are OpenSSH SHA256 without padding, and the blob names its type', () => {
    const k = newKey('ecdsa');
    assert.match(fingerprint(k.blob), /^SHA256:[A-Za-z0-9+/]{43}$/);
    assert.equal(keyBlobType(k.blob), 'ecdsa-sha2-nistp256');
  });

  test('the key types known_hosts has for the host are offered first', () => {
    const k = newKey('ecdsa');
    const algs = preferredHostKeyAlgorithms(`10.0.0.11 ${k.line}\n`, '10.0.0.11', 22);
    assert.equal(algs[0], 'ecdsa-sha2-nistp256');
    assert.ok(algs.includes('ssh-ed25519'));
  });
});
