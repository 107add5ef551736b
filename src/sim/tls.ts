/**
 * Enterprise TLS material, made with the `openssl` CLI into <dir>/tls/: a CA (root-cert.pem), a
 * server certificate for every master address (Exhibitor over HTTPS) and every node (Mesos over
 * HTTPS when enabled), and the client certificate the Exhibitor checks.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TlsMaterial {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** Paths of the files in <dir>/tls. */
  paths: {
    caCert: string;
    serverCert: string;
    serverKey: string;
    clientCert: string;
    clientKey: string;
    dcosCa: string;
  };
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd });
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`openssl ${args[0]} failed: ${e.stderr ?? e.message}`);
  }
}

export async function createTls(outDir: string, addresses: string[]): Promise<TlsMaterial> {
  const dir = path.join(outDir, 'tls');
  await mkdir(dir, { recursive: true });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(
    [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'root-key.pem',
      '-out',
      'root-cert.pem',
      '-days',
      '825',
      '-subj',
      '/CN=DC-OS Simulated Root CA',
    ],
    dir
  );
  const sans = ['DNS:localhost', 'IP:127.0.0.1', ...[...new Set(addresses)].map((a) => `IP:${a}`)].join(',');
  await writeFile(path.join(dir, 'server.ext'), `subjectAltName=${sans}\nextendedKeyUsage=serverAuth\n`);
  await writeFile(path.join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  await Promise.all([
    openssl(
      ['req', '-new', ...ec, '-keyout', 'server-key.pem', '-out', 'server.csr', '-subj', '/CN=dcos-sim-node'],
      dir
    ),
    openssl(['req', '-new', ...ec, '-keyout', 'client-key.pem', '-out', 'client.csr', '-subj', '/CN=dcos-patch'], dir),
  ]);
  const sign = (name: string): Promise<void> =>
    openssl(
      [
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'root-cert.pem',
        '-CAkey',
        'root-key.pem',
        '-CAcreateserial',
        '-out',
        `${name}-cert.pem`,
        '-days',
        '825',
        '-extfile',
        `${name}.ext`,
      ],
      dir
    );
  await sign('server');
  await sign('client');
  const read = (f: string): Promise<string> => readFile(path.join(dir, f), 'utf8');
  const [caCert, serverCert, serverKey, clientCert, clientKey] = await Promise.all(
    ['root-cert.pem', 'server-cert.pem', 'server-key.pem', 'client-cert.pem', 'client-key.pem'].map(read)
  );
  await writeFile(path.join(dir, 'dcos-ca.crt'), caCert!);
  return {
    dir,
    caCert: caCert!,
    serverCert: serverCert!,
    serverKey: serverKey!,
    clientCert: clientCert!,
    clientKey: clientKey!,
    paths: {
      caCert: path.join(dir, 'root-cert.pem'),
      serverCert: path.join(dir, 'server-cert.pem'),
      serverKey: path.join(dir, 'server-key.pem'),
      clientCert: path.join(dir, 'client-cert.pem'),
      clientKey: path.join(dir, 'client-key.pem'),
      dcosCa: path.join(dir, 'dcos-ca.crt'),
    },
  };
}
