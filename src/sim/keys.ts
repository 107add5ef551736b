/**
 * ed25519 key pairs in OpenSSH format. ssh2's generateKeyPairSync drops a leading zero byte of the
 * public key (about 1 key in 250 comes out malformed), so keys are checked and regenerated.
 */
import { utils } from 'ssh2';

export interface KeyPair {
  private: string;
  public: string;
}

export function generateEd25519(comment?: string): KeyPair {
  for (let i = 0; i < 100; i++) {
    const pair = utils.generateKeyPairSync('ed25519', comment ? { comment } : undefined);
    const priv = utils.parseKey(pair.private);
    const pub = utils.parseKey(pair.public);
    if (priv instanceof Error || pub instanceof Error) continue;
    const p = Array.isArray(priv) ? priv[0] : priv;
    const q = Array.isArray(pub) ? pub[0] : pub;
    // string "ssh-ed25519" (4 + 11) + string key (4 + 32)
    if (p && q && p.getPublicSSH().length === 51 && p.getPublicSSH().equals(q.getPublicSSH())) return pair;
  }
  throw new Error('could not generate a well-formed ed25519 key');
}
