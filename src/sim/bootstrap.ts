/**
 * The bootstrap node: the installer's node-upgrade-script generator
 * (`dcos_generate_config.sh --generate-node-upgrade-script <installed_version>`) and the HTTP
 * server that serves `genconf/serve` at bootstrap_url (the nginx container of the runbook).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { CmdContext, CmdResult } from './commands/context';
import { hostPath } from './exec';
import type { FaultSet } from './faults';
import { applyEndpointFault, guarded, sendText } from './http-util';
import { render } from './shims';
import type { GroundTruth } from './types';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function parseVersion(v: string): [number, number, number] | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)(?:-[\w.]+)?$/.exec(v);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/** Can the target's installer generate a node upgrade script from `from`? Same minor, not newer. */
export function upgradeSourceError(from: string, target: string): string | undefined {
  const f = parseVersion(from);
  const t = parseVersion(target);
  if (!f) return `'${from}' is not a DC/OS version`;
  if (!t) return undefined;
  if (f[0] !== t[0] || f[1] !== t[1]) {
    return `DC/OS ${from} cannot be patched to ${target} with a node upgrade script: patching stays within one minor release (${t[0]}.${t[1]}.x); use the upgrade procedure`;
  }
  if (f[2] > t[2]) return `DC/OS ${from} is newer than this installer (${target}): downgrades are not supported`;
  return undefined;
}

function packageList(to: string): string[] {
  return ['dcos-config', 'dcos-image', 'exhibitor', 'marathon', 'mesos', 'mesos-dns', 'dcos-net', 'adminrouter'].map(
    (p) => `${p}--${to.replace(/\./g, '_')}-${randomBytes(20).toString('hex')}`
  );
}

const USAGE = `usage: dcos_generate_config.sh [-h] [--hash-password HASH_PASSWORD] [--generate-node-upgrade-script GENERATE_NODE_UPGRADE_SCRIPT] [--genconf] [--validate-config] [-v] [--version]\n`;

/** `bash dcos_generate_config.sh --generate-node-upgrade-script <installed_version>`, run in the installer directory. */
export async function generateConfig(ctx: CmdContext): Promise<CmdResult> {
  const { env, args, host, model } = ctx;
  const record = (exitCode: number, upgradeId?: string): void => {
    model.truth.generatorRuns.push({ at: Date.now(), args: [...args], exitCode, upgradeId });
  };
  const failWith = (code: number, out: string, err = ''): CmdResult => {
    record(code);
    return { code, stdout: out, stderr: err };
  };
  if (args.includes('--version')) {
    return {
      code: 0,
      stdout: `{"version": "${env.targetVersion}", "variant": "${env.variant === 'enterprise' ? 'ee' : ''}"}\n`,
    };
  }
  if (args.includes('-h') || args.includes('--help')) return { code: 0, stdout: USAGE };
  const i = args.findIndex(
    (a) => a === '--generate-node-upgrade-script' || a.startsWith('--generate-node-upgrade-script=')
  );
  if (i < 0) {
    return failWith(
      2,
      '',
      `${USAGE}dcos_generate_config.sh: only --generate-node-upgrade-script is supported by the simulator\n`
    );
  }
  const arg = args[i]!;
  const from = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : args[i + 1];
  if (!from || from.startsWith('-')) {
    return failWith(
      2,
      '',
      `${USAGE}dcos_generate_config.sh: error: argument --generate-node-upgrade-script: expected one argument\n`
    );
  }
  const genconf = path.join(ctx.cwd, 'genconf');
  const shownGenconf = hostPath(genconf, host.spec.root);
  const out: string[] = [
    'Extracting image from this script and loading into docker daemon, this step can take a few minutes',
    `dcos-genconf.${randomBytes(10).toString('hex')}-${randomBytes(10).toString('hex')}.tar`,
    `Running mesosphere/dcos-genconf docker with BUILD_DIR set to ${shownGenconf}`,
    '====> EXECUTING UPGRADE SCRIPT GENERATION',
  ];
  const configPath = path.join(genconf, 'config.yaml');
  if (!existsSync(configPath)) {
    out.push(
      `====> ERROR: genconf/config.yaml not found. Put the config.yaml the cluster was installed with in ${shownGenconf}/`
    );
    return failWith(1, `${out.join('\n')}\n`);
  }
  const configText = readFileSync(configPath, 'utf8');
  let config: Record<string, unknown>;
  try {
    const parsed = parseYaml(configText) as unknown;
    config = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch (err) {
    out.push(`====> ERROR: Unable to parse genconf/config.yaml: ${(err as Error).message}`);
    return failWith(1, `${out.join('\n')}\n`);
  }
  const errors: string[] = [];
  const bootstrapUrl = typeof config.bootstrap_url === 'string' ? config.bootstrap_url.replace(/\/+$/, '') : undefined;
  if (!bootstrapUrl) errors.push('bootstrap_url: Must set bootstrap_url, no way to calculate value.');
  const ipDetect = typeof config.ip_detect_filename === 'string' ? config.ip_detect_filename : 'genconf/ip-detect';
  if (!existsSync(path.join(ctx.cwd, ipDetect))) errors.push(`ip_detect_filename: File does not exist ${ipDetect}`);
  if (env.variant === 'enterprise' && !existsSync(path.join(genconf, 'license.txt'))) {
    errors.push(
      'license_key_contents: Must set license_key_contents, no way to calculate value. Put the license in genconf/license.txt'
    );
  }
  const versionError = upgradeSourceError(from, env.targetVersion);
  if (versionError) errors.push(`--generate-node-upgrade-script: ${versionError}`);
  if (errors.length > 0) {
    out.push('====> Configuration validation failed:', ...errors.map((e) => `  ${e}`));
    return failWith(1, `${out.join('\n')}\n`);
  }
  await sleep(env.timings.generatorMs);
  const upgradeId = randomBytes(16).toString('hex');
  const dir = path.join(genconf, 'serve', 'upgrade', upgradeId);
  await mkdir(dir, { recursive: true });
  const packages = packageList(env.targetVersion);
  const script = render('dcos_node_upgrade.sh', {
    FROM: from,
    TO: env.targetVersion,
    BOOTSTRAP_URL: bootstrapUrl!,
    UPGRADE_ID: upgradeId,
    VARIANT_NAME: env.variant === 'enterprise' ? 'DC/OS Enterprise' : 'DC/OS',
  });
  await Promise.all([
    writeFile(path.join(dir, 'dcos_node_upgrade.sh'), script, { mode: 0o755 }),
    writeFile(path.join(dir, 'package_list.json'), `${JSON.stringify(packages)}\n`),
    writeFile(path.join(dir, 'user.config.yaml'), configText),
  ]);
  out.push(
    `====> Generating node upgrade script for DC/OS ${from} -> ${env.targetVersion}`,
    'Generating configuration files...',
    ...packages.map((p) => `Package filename: packages/${p.split('--')[0]}/${p}.tar.xz`),
    `Node upgrade script URL: ${bootstrapUrl}/upgrade/${upgradeId}/dcos_node_upgrade.sh`
  );
  if (env.variant === 'enterprise' && parseVersion(env.targetVersion)![0] >= 2) {
    out.push(
      '====> Enterprise: the node upgrade script checks the license in genconf/license.txt before it starts.',
      `====> Serve ${shownGenconf}/serve at ${bootstrapUrl} before running the script on any node.`
    );
  }
  record(0, upgradeId);
  return { code: 0, stdout: `${out.join('\n')}\n` };
}

const NGINX_404 =
  '<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx/1.19.0</center>\r\n</body>\r\n</html>\r\n';

/** The bootstrap node's HTTP server: `serveDir` (genconf/serve) as the document root, nginx style. */
export function createBootstrapFileServer(
  serveDir: () => string,
  faults: FaultSet,
  /** Where each request is logged (the truth's access log; reset replaces the array). */
  accessLog?: () => GroundTruth['bootstrapRequests']
): Server {
  return createServer(
    guarded((req, res) => {
      res.setHeader('Server', 'nginx/1.19.0');
      const at = Date.now();
      res.on('finish', () => {
        accessLog?.().push({
          at,
          method: req.method ?? '',
          path: (req.url ?? '/').split('?')[0]!,
          status: res.statusCode,
        });
      });
      if (applyEndpointFault(faults, 'bootstrap', req, res)) return;
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        sendText(res, 405, '405 Not Allowed');
        return;
      }
      const root = serveDir();
      const url = new URL(req.url ?? '/', 'http://sim');
      const rel = decodeURIComponent(url.pathname);
      const file = path.join(root, rel);
      if (!file.startsWith(`${root}/`)) {
        sendText(res, 404, NGINX_404, 'text/html');
        return;
      }
      void (async () => {
        try {
          const st = await stat(file);
          if (!st.isFile()) throw new Error('not a file');
          const body = await readFile(file);
          res.writeHead(200, {
            'Content-Type': file.endsWith('.json') ? 'application/json' : 'application/octet-stream',
            'Content-Length': body.length,
            'Last-Modified': st.mtime.toUTCString(),
          });
          res.end(req.method === 'HEAD' ? undefined : body);
        } catch {
          sendText(res, 404, NGINX_404, 'text/html');
        }
      })();
    })
  );
}
