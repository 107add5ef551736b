/**
 * Pre-staging: while the masters are patched, every agent fetches the node script from the
 * bootstrap server into `<remoteWorkDir>/staged/<url hash>/` and reports its SHA-256, checked
 * against what the bootstrap node itself serves. An agent's turn then copies that file instead of
 * downloading (stageCommand), and a bootstrap server the agents cannot reach is known before the
 * first agent, not at agent 400. Nothing is run; the copy is only ever used for the same URL.
 */
import { createHash } from 'node:crypto';
import type { NodeTarget, PrestageEntry } from '../shared/activity-types';
import { ensureWritableDir, fetchScriptLines, shq } from '../shared/shell';
import { Heartbeats, mapLimit } from './fan-out';
import { excerpt } from './parsers';
import { SCRIPT_NAME } from './remote-run';
import { runCommand } from './ssh';
import { errorText } from './util';

/** SSH sessions at once from one pre-staging activity. */
export const PRESTAGE_CONCURRENCY = 32;

/** Where an agent keeps the pre-staged script for this URL. */
export function prestagedDir(remoteWorkDir: string, url: string): string {
  return `${remoteWorkDir}/staged/${createHash('sha256').update(url).digest('hex').slice(0, 16)}`;
}

/** One SSH exec: fetch the script (unless already there for this URL), print its SHA-256. */
export function prestageCommand(remoteWorkDir: string, url: string): string {
  const dir = prestagedDir(remoteWorkDir, url);
  const file = `${dir}/${SCRIPT_NAME}`;
  return [
    ensureWritableDir(`${remoteWorkDir}/staged`),
    `mkdir -p ${shq(dir)} || exit 70`,
    `if [ ! -s ${shq(file)} ] || [ "$(cat ${shq(`${dir}/url`)} 2>/dev/null)" != ${shq(url)} ]; then`,
    ...fetchScriptLines(dir, SCRIPT_NAME, url),
    'fi',
    `echo "sha256=$(sha256sum ${shq(file)} | cut -d' ' -f1)"`,
  ].join('\n');
}

/** The command's answer on one host; a copy whose checksum is not the served one is removed. */
async function prestageOne(target: NodeTarget, url: string, expectedSha256?: string): Promise<PrestageEntry> {
  const node = target.node.id;
  try {
    const r = await runCommand(target, prestageCommand(target.remoteWorkDir, url), {
      timeoutMs: 150_000,
      label: `pre-stage ${SCRIPT_NAME}`,
    });
    const sha = /^sha256=([0-9a-f]{64})$/m.exec(r.stdout)?.[1];
    if (r.exitCode !== 0 || !sha) {
      const curl = /curl-exit=(\d+)/.exec(r.stdout)?.[1];
      const why = curl ? `curl exit ${curl} fetching ${url}` : `exit ${r.exitCode}: ${excerpt(r.stderr || r.stdout)}`;
      return { node, error: why };
    }
    if (expectedSha256 && sha !== expectedSha256) {
      await runCommand(target, `rm -rf ${shq(prestagedDir(target.remoteWorkDir, url))}`, { timeoutMs: 30_000 });
      return { node, error: `checksum ${sha.slice(0, 12)}… is not the bootstrap's ${expectedSha256.slice(0, 12)}…` };
    }
    return { node, sha256: sha };
  } catch (err) {
    return { node, error: errorText(err) };
  }
}

/** The activity: pre-stage the script on these agents; one entry per target, never throws for a host. */
export async function prestageScript(
  targets: NodeTarget[],
  scriptUrl: string,
  expectedSha256?: string
): Promise<PrestageEntry[]> {
  const heartbeats = new Heartbeats();
  let done = 0;
  try {
    return await mapLimit(targets, PRESTAGE_CONCURRENCY, async (t) => {
      const entry = await prestageOne(t, scriptUrl, expectedSha256);
      heartbeats.beat({ done: ++done, of: targets.length, last: t.node.id });
      return entry;
    });
  } finally {
    heartbeats.stop();
  }
}
