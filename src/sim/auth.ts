/**
 * Strict-mode authentication: the cluster's JWTs (HS256, signed with a per-cluster secret) that Mesos
 * endpoints require as `Authorization: token=<JWT>`, and the login endpoint
 * `POST /acs/api/v1/auth/login` that trades a service-account login token (RS256, signed with the
 * service account's private key) or a uid/password for one.
 */
import { createHmac, createPublicKey, generateKeyPairSync, randomBytes, timingSafeEqual, verify } from 'node:crypto';

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

export interface AuthMaterial {
  secret: Buffer;
  /** PEM of the service account's private key (written to <dir>/service-account-key.pem). */
  serviceAccountPrivateKey: string;
  serviceAccountPublicKey: string;
  serviceAccountUid: string;
  superuser: string;
  superuserPassword: string;
}

export function createAuthMaterial(): AuthMaterial {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    secret: randomBytes(32),
    serviceAccountPrivateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    serviceAccountPublicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    serviceAccountUid: 'dcos-patch',
    superuser: 'bootstrapuser',
    superuserPassword: randomBytes(9).toString('base64url'),
  };
}

export function issueToken(m: AuthMaterial, uid: string, ttlSec = 5 * 24 * 3600): string {
  const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = b64url(JSON.stringify({ uid, exp: Math.floor(Date.now() / 1000) + ttlSec }));
  const sig = b64url(createHmac('sha256', m.secret).update(`${header}.${payload}`).digest());
  return `${header}.${payload}.${sig}`;
}

function decodePayload(part: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A token the cluster issued and that has not expired. */
export function verifyToken(m: AuthMaterial, token: string): boolean {
  const parts = token.split('.');
  if (parts.length !== 3) return false;
  const [h, p, s] = parts as [string, string, string];
  const expected = createHmac('sha256', m.secret).update(`${h}.${p}`).digest();
  const got = Buffer.from(s, 'base64url');
  if (got.length !== expected.length || !timingSafeEqual(got, expected)) return false;
  const payload = decodePayload(p);
  return typeof payload?.exp === 'number' && payload.exp * 1000 > Date.now();
}

/** `Authorization: token=<JWT>` (also accepts `Bearer <JWT>`). */
export function authorized(m: AuthMaterial, header: string | undefined): boolean {
  if (!header) return false;
  const match = /^(?:token=|Bearer\s+)(\S+)$/i.exec(header.trim());
  return match ? verifyToken(m, match[1]!) : false;
}

/** The body of POST /acs/api/v1/auth/login → a cluster token, or an error message. */
export function login(m: AuthMaterial, body: string): { token: string } | { error: string } {
  let req: Record<string, unknown>;
  try {
    req = JSON.parse(body) as Record<string, unknown>;
  } catch {
    return { error: 'Request body is not valid JSON' };
  }
  const uid = req.uid;
  if (typeof uid !== 'string') return { error: 'uid required' };
  if (typeof req.password === 'string') {
    return uid === m.superuser && req.password === m.superuserPassword
      ? { token: issueToken(m, uid) }
      : { error: 'Invalid credentials' };
  }
  if (typeof req.token === 'string' && uid === m.serviceAccountUid) {
    const parts = req.token.split('.');
    if (parts.length === 3) {
      const [h, p, s] = parts as [string, string, string];
      const ok = verify(
        'RSA-SHA256',
        Buffer.from(`${h}.${p}`),
        createPublicKey(m.serviceAccountPublicKey),
        Buffer.from(s, 'base64url')
      );
      const payload = decodePayload(p);
      if (ok && payload?.uid === uid) return { token: issueToken(m, uid) };
    }
  }
  return { error: 'Invalid credentials' };
}
