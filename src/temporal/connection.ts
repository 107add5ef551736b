/**
 * How the CLI and the worker reach Temporal. The same environment variables as the `temporal`
 * CLI: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_CA (server CA),
 * TEMPORAL_TLS_CLIENT_CERT_PATH / TEMPORAL_TLS_CLIENT_KEY_PATH (mTLS),
 * TEMPORAL_TLS_SERVER_NAME, TEMPORAL_TLS=true (TLS without client certificates).
 * Node-side only: never imported by workflow code.
 */
import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/client';

export const TASK_QUEUE = process.env.DCOS_PATCH_TASK_QUEUE ?? 'dcos-patch-v1';

export interface ConnectionSettings {
  address: string;
  namespace: string;
  apiKey?: string;
  tls?: TLSConfig | boolean;
}

export interface ConnectionFlags {
  address?: string;
  namespace?: string;
  apiKey?: string;
  tls?: boolean;
  tlsCaPath?: string;
  tlsCertPath?: string;
  tlsKeyPath?: string;
  tlsServerName?: string;
}

function readPath(what: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`cannot read ${what} ${path}: ${(err as Error).message}`);
  }
}

/** Flags win over environment variables, which win over the local dev server defaults. */
export function connectionSettings(
  flags: ConnectionFlags = {},
  env: NodeJS.ProcessEnv = process.env
): ConnectionSettings {
  const address = flags.address ?? env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
  const namespace = flags.namespace ?? env.TEMPORAL_NAMESPACE ?? 'default';
  const apiKey = flags.apiKey ?? env.TEMPORAL_API_KEY;
  const caPath = flags.tlsCaPath ?? env.TEMPORAL_TLS_CA;
  const certPath = flags.tlsCertPath ?? env.TEMPORAL_TLS_CLIENT_CERT_PATH ?? env.TEMPORAL_TLS_CERT;
  const keyPath = flags.tlsKeyPath ?? env.TEMPORAL_TLS_CLIENT_KEY_PATH ?? env.TEMPORAL_TLS_KEY;
  const serverName = flags.tlsServerName ?? env.TEMPORAL_TLS_SERVER_NAME;
  const tlsWanted = flags.tls ?? env.TEMPORAL_TLS === 'true';
  if ((certPath && !keyPath) || (keyPath && !certPath)) {
    throw new Error('TLS client certificate and key go together: set both --tls-cert-path and --tls-key-path');
  }
  let tls: TLSConfig | boolean | undefined;
  if (caPath || certPath || serverName) {
    tls = {
      serverRootCACertificate: caPath ? readPath('TLS CA certificate', caPath) : undefined,
      clientCertPair:
        certPath && keyPath
          ? { crt: readPath('TLS client certificate', certPath), key: readPath('TLS client key', keyPath) }
          : undefined,
      serverNameOverride: serverName,
    };
  } else if (tlsWanted) {
    tls = true;
  }
  return { address, namespace, apiKey, tls };
}
