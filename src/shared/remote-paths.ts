/**
 * What a path or file name on a DC/OS host may look like: shared by the plan check and the
 * workflow's check of its own input (pure: no Node built-ins, so workflow code can use it).
 */

/** Letters, digits and `. _ - + /` only: nothing a remote shell would need quoted. */
export const SAFE_REMOTE_PATH = /^\/[A-Za-z0-9._+/-]*$/;
export const SAFE_FILE_NAME = /^[A-Za-z0-9._+-]+$/;

/** `//var/./lib/` → `/var/lib`: the path the remote shell would use, for every check and command. */
export function normalizeRemotePath(p: string): string {
  return `/${p
    .split('/')
    .filter((seg) => seg !== '' && seg !== '.')
    .join('/')}`;
}

/** Directories that are tmpfs (emptied at boot) on the Linux distributions DC/OS runs on. */
const VOLATILE_DIRS = ['/tmp', '/run', '/var/run', '/dev/shm', '/dev'];

/** Is this remote directory on a filesystem that a reboot empties? */
export function isVolatileRemoteDir(p: string): boolean {
  return VOLATILE_DIRS.some((d) => p === d || p.startsWith(`${d}/`));
}

/** A plain file name: safe characters, never an option (`-c`), never `.` or `..`. */
export function isPlainFileName(name: string): boolean {
  return SAFE_FILE_NAME.test(name) && !name.startsWith('-') && name !== '.' && name !== '..';
}

/** DC/OS Enterprise: the cluster CA bundle every node has (Mesos HTTPS is checked against it on the node). */
export const NODE_CA_BUNDLE = '/run/dcos/pki/CA/ca-bundle.crt';
/** DC/OS Enterprise masters: Exhibitor's TLS files (root-cert.pem, client-cert.pem, client-key.pem; root only). */
export const NODE_EXHIBITOR_TLS_DIR = '/var/lib/dcos/exhibitor-tls-artifacts';
