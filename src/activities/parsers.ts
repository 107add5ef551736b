/**
 * What dcos-patch reads on a DC/OS node, as plain functions (no I/O, unit-tested): the Exhibitor
 * ensemble status, Mesos metrics and `/state`, `mesos-master --version`, `cockroach node status
 * --ranges`, the generator's "Node upgrade script URL:" line, dcos-version.json and
 * `systemctl is-active`. Each health check returns `{ ok, observation }`, where the observation
 * is one line an operator can read ("2/3 serving; 10.0.0.12 down").
 */

import type { AgentBaseline } from '../shared/activity-types';

/** One health observation: good or not, and what was seen. */
export interface Observation {
  ok: boolean;
  observation: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A short, single-line excerpt of some text for messages. */
export function excerpt(text: string, max = 160): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** The last `maxLines` lines of `text`, and at most `maxBytes` characters of them. */
export function tail(text: string, maxLines = 40, maxBytes = 4096): string {
  let lines = text.replace(/\s+$/, '').split('\n');
  if (lines.length > maxLines) lines = lines.slice(-maxLines);
  const joined = lines.join('\n');
  return joined.length > maxBytes ? `…${joined.slice(-(maxBytes - 1))}` : joined;
}

// ---- Exhibitor ----------------------------------------------------------------------------------

export interface ExhibitorMember {
  hostname: string;
  code: number;
  description: string;
  isLeader: boolean;
}

const EXHIBITOR_CODES: Record<number, string> = { 0: 'latent', 1: 'down', 2: 'not serving', 3: 'serving' };

/** `GET /exhibitor/v1/cluster/status`: a JSON array, one object per ensemble member. Throws on another shape. */
export function parseExhibitorStatus(body: unknown): ExhibitorMember[] {
  if (!Array.isArray(body)) {
    throw new Error(`Exhibitor status is not a JSON array: ${excerpt(JSON.stringify(body) ?? String(body))}`);
  }
  return body.map((m, i) => {
    if (!isRecord(m) || typeof m.hostname !== 'string') {
      throw new Error(`Exhibitor status entry ${i} has no hostname: ${excerpt(JSON.stringify(m) ?? String(m))}`);
    }
    const code = typeof m.code === 'number' ? m.code : Number(m.code);
    return {
      hostname: m.hostname,
      code: Number.isFinite(code) ? code : -1,
      description: typeof m.description === 'string' ? m.description : (EXHIBITOR_CODES[code] ?? 'unknown'),
      isLeader: m.isLeader === true,
    };
  });
}

function serving(m: ExhibitorMember): boolean {
  return m.code === 3 || m.description.toLowerCase() === 'serving';
}

/**
 * Converged: every expected master is listed and serving (code 3 / "serving"), and no listed
 * member is in another state. Observation e.g. "3/3 serving (leader 10.0.0.11)" or
 * "1/3 serving; 10.0.0.12 down, 10.0.0.13 missing".
 */
export function exhibitorConverged(members: ExhibitorMember[], expectedHosts: string[]): Observation {
  const byHost = new Map(members.map((m) => [m.hostname, m]));
  const problems: string[] = [];
  let good = 0;
  for (const host of expectedHosts) {
    const m = byHost.get(host);
    if (!m) problems.push(`${host} missing`);
    else if (serving(m)) good++;
    else problems.push(`${host} ${m.description || EXHIBITOR_CODES[m.code] || `code ${m.code}`}`);
  }
  for (const m of members) {
    if (!expectedHosts.includes(m.hostname) && !serving(m)) {
      problems.push(`${m.hostname} (not in the plan) ${m.description || `code ${m.code}`}`);
    }
  }
  const leader = members.find((m) => m.isLeader)?.hostname;
  const head = `${good}/${expectedHosts.length} serving`;
  if (problems.length === 0) return { ok: true, observation: leader ? `${head} (leader ${leader})` : head };
  return { ok: false, observation: `${head}; ${problems.join(', ')}` };
}

// ---- Mesos metrics, version, /state -------------------------------------------------------------

/**
 * `/metrics/snapshot`: one flat JSON object of name → number. Mesos 1.4–1.6 escape `/` as `\/`
 * in key names, which JSON.parse already decodes. Non-numeric values are dropped.
 */
export function parseMesosMetrics(body: unknown): Record<string, number> {
  const obj = typeof body === 'string' ? (JSON.parse(body) as unknown) : body;
  if (!isRecord(obj)) throw new Error(`metrics snapshot is not a JSON object: ${excerpt(String(body))}`);
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(obj)) {
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
    if (Number.isFinite(n)) out[k] = n;
  }
  return out;
}

/** A metric must equal `want` (numerically: 1.0 == 1). */
export function metricEquals(metrics: Record<string, number>, name: string, want: number): Observation {
  const v = metrics[name];
  if (v === undefined) return { ok: false, observation: `${name} absent from /metrics/snapshot` };
  return { ok: v === want, observation: `${name}=${v}` };
}

/** `mesos-master --version` → "1.10.1" from the line `mesos 1.10.1`; undefined when absent. */
export function parseMesosVersion(output: string): string | undefined {
  const m = /^\s*mesos\s+v?(\d+\.\d+(?:\.\d+)?[^\s]*)\s*$/im.exec(output);
  return m?.[1];
}

/** `version` from /opt/mesosphere/etc/dcos-version.json; throws when it is not there. */
export function parseDcosVersion(text: string): string {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    throw new Error(`dcos-version.json is not JSON: ${excerpt(text)}`);
  }
  if (!isRecord(obj) || typeof obj.version !== 'string' || obj.version === '') {
    throw new Error(`dcos-version.json has no "version": ${excerpt(text)}`);
  }
  return obj.version;
}

/** The role files listed by `ls /etc/mesosphere/roles/`, sorted. */
export function parseRoles(lsOutput: string): string[] {
  return lsOutput
    .split(/\s+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .sort();
}

/** `systemctl is-active <unit>` prints one state per unit: active, inactive, failed, activating, unknown… */
export function parseSystemctlIsActive(output: string): string {
  return (
    output
      .split('\n')
      .map((s) => s.trim())
      .find((s) => s.length > 0) ?? 'no answer'
  );
}

/** "master@10.0.0.11:5050" → address and port. */
export function parseMesosPid(pid: string): { address: string; port: number } | undefined {
  const m = /@([^:@\s]+):(\d+)$/.exec(pid.trim());
  return m ? { address: m[1]!, port: Number(m[2]) } : undefined;
}

/** The leading master as a master's `/state` tells it (its `leader` pid, or `leader_info`). */
export function leaderOfState(state: unknown): { address: string; port: number } | undefined {
  if (!isRecord(state)) return undefined;
  if (typeof state.leader === 'string') {
    const p = parseMesosPid(state.leader);
    if (p) return p;
  }
  const li = state.leader_info;
  if (isRecord(li) && typeof li.hostname === 'string' && typeof li.port === 'number') {
    const addr = isRecord(li.address) && typeof li.address.ip === 'string' ? li.address.ip : li.hostname;
    return { address: addr, port: li.port };
  }
  return undefined;
}

/** Whether this `/state` is the leading master's own (its pid is the leader pid). */
export function stateIsLeader(state: unknown): boolean {
  return isRecord(state) && typeof state.pid === 'string' && state.leader === state.pid;
}

/** The one task state that counts as "reconciled and running" on an agent that just came back. */
const RUNNING = 'TASK_RUNNING';

/**
 * On the leading master's `/state`: the agent (matched by hostname or the address in its pid)
 * is registered and active, and every task on it is TASK_RUNNING (none staging, unreachable,
 * lost or otherwise). Observation e.g. "agent active, 3/3 tasks TASK_RUNNING".
 */
/** The leader's `/state` entry for the agent at this address and port. */
function findSlave(state: Record<string, unknown>, agent: { address: string; port: number }) {
  const slaves = Array.isArray(state.slaves) ? state.slaves.filter(isRecord) : [];
  return slaves.find((s) => {
    if (typeof s.pid === 'string') {
      const p = parseMesosPid(s.pid);
      if (p && p.address === agent.address && p.port === agent.port) return true;
    }
    return s.hostname === agent.address && (s.port === undefined || s.port === agent.port);
  });
}

/** Every task of the leader's `/state`, with the list it came from. */
function allTasks(state: Record<string, unknown>): { task: Record<string, unknown>; completed: boolean }[] {
  const out: { task: Record<string, unknown>; completed: boolean }[] = [];
  for (const f of (Array.isArray(state.frameworks) ? state.frameworks : []).filter(isRecord)) {
    for (const key of ['tasks', 'unreachable_tasks', 'completed_tasks'] as const) {
      for (const t of Array.isArray(f[key]) ? f[key] : []) {
        if (isRecord(t))
          out.push({
            task: key === 'unreachable_tasks' ? { ...t, state: 'TASK_UNREACHABLE' } : t,
            completed: key === 'completed_tasks',
          });
      }
    }
  }
  return out;
}

/** Pure: the agent's id and its running tasks, from the leader's `/state`, before the agent goes down. */
export function agentBaselineOf(state: unknown, agent: { address: string; port: number }): AgentBaseline {
  if (!isRecord(state)) throw new Error('leader /state is not a JSON object');
  const slave = findSlave(state, agent);
  if (!slave || typeof slave.id !== 'string')
    throw new Error(`agent ${agent.address} is not registered with the leading master`);
  const taskIds = allTasks(state)
    .filter(
      ({ task, completed }) =>
        !completed && task.slave_id === slave.id && task.state === RUNNING && typeof task.id === 'string'
    )
    .map(({ task }) => task.id as string);
  return { agentId: slave.id, taskIds };
}

/** Final states a framework ends a task in itself: the task was not lost to the patch. */
const ENDED_BY_FRAMEWORK = new Set(['TASK_FINISHED', 'TASK_KILLED', 'TASK_FAILED']);

/**
 * Pure: the agent is back under the agent id it had and every task it ran before is running
 * again (or was ended by its own framework). `lost` is set when waiting cannot help any more:
 * the agent came back as a new agent, or baseline tasks ended lost.
 */
export function tasksBackAsBefore(
  state: unknown,
  agent: { address: string; port: number },
  baseline: AgentBaseline
): Observation & { lost?: string } {
  if (!isRecord(state)) return { ok: false, observation: 'leader /state is not a JSON object' };
  const slave = findSlave(state, agent);
  if (!slave) return { ok: false, observation: `agent ${agent.address} not registered with the leading master` };
  if (typeof slave.id === 'string' && slave.id !== baseline.agentId) {
    const reason = `agent ${agent.address} re-registered under a new agent id ${slave.id} (it was ${baseline.agentId}): the masters dropped its tasks (${baseline.taskIds.length}: ${baseline.taskIds.slice(0, 10).join(', ')}${baseline.taskIds.length > 10 ? ', …' : ''})`;
    return { ok: false, observation: reason, lost: reason };
  }
  if (slave.active !== true) return { ok: false, observation: `agent ${agent.address} registered but not active` };
  const byId = new Map<string, string>();
  for (const { task } of allTasks(state)) {
    if (typeof task.id === 'string' && task.slave_id === baseline.agentId)
      byId.set(task.id, String(task.state ?? 'TASK_UNKNOWN'));
  }
  const lost: string[] = [];
  const waiting: string[] = [];
  let ended = 0;
  for (const id of baseline.taskIds) {
    const st = byId.get(id);
    if (st === RUNNING) continue;
    if (st && ENDED_BY_FRAMEWORK.has(st)) ended++;
    else if (
      st === undefined ||
      ['TASK_LOST', 'TASK_GONE', 'TASK_GONE_BY_OPERATOR', 'TASK_DROPPED', 'TASK_ERROR'].includes(st)
    )
      lost.push(`${id} (${st ?? 'gone'})`);
    else waiting.push(`${id} ${st}`);
  }
  const running = baseline.taskIds.length - lost.length - waiting.length - ended;
  const head = `agent ${baseline.agentId} active, ${running}/${baseline.taskIds.length} of its tasks running again${ended ? `, ${ended} ended by their framework` : ''}`;
  if (lost.length > 0) {
    const reason = `${head}; tasks lost: ${lost.slice(0, 10).join(', ')}${lost.length > 10 ? ', …' : ''}`;
    return { ok: false, observation: reason, lost: reason };
  }
  return waiting.length > 0
    ? { ok: false, observation: `${head}; waiting for ${waiting.slice(0, 5).join(', ')}` }
    : { ok: true, observation: head };
}

export function agentTasksReconciled(state: unknown, agent: { address: string; port: number }): Observation {
  if (!isRecord(state)) return { ok: false, observation: 'leader /state is not a JSON object' };
  const slave = findSlave(state, agent);
  if (!slave) return { ok: false, observation: `agent ${agent.address} not registered with the leading master` };
  const agentId = typeof slave.id === 'string' ? slave.id : '';
  if (slave.active !== true) return { ok: false, observation: `agent ${agent.address} registered but not active` };

  const frameworks = (Array.isArray(state.frameworks) ? state.frameworks : []).filter(isRecord);
  const byState = new Map<string, number>();
  let total = 0;
  let lost = 0;
  const count = (t: unknown, forced?: string) => {
    if (!isRecord(t) || t.slave_id !== agentId) return;
    const s = forced ?? (typeof t.state === 'string' ? t.state : 'TASK_UNKNOWN');
    total++;
    byState.set(s, (byState.get(s) ?? 0) + 1);
  };
  for (const f of frameworks) {
    for (const t of Array.isArray(f.tasks) ? f.tasks : []) count(t);
    for (const t of Array.isArray(f.unreachable_tasks) ? f.unreachable_tasks : []) count(t, 'TASK_UNREACHABLE');
    for (const t of Array.isArray(f.completed_tasks) ? f.completed_tasks : []) {
      if (isRecord(t) && t.slave_id === agentId && t.state === 'TASK_LOST') lost++;
    }
  }
  const running = byState.get(RUNNING) ?? 0;
  const others = [...byState.entries()]
    .filter(([s]) => s !== RUNNING)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
  const lostNote = lost > 0 ? ` (${lost} TASK_LOST in completed tasks)` : '';
  const head = `agent active, ${running}/${total} tasks TASK_RUNNING`;
  return others
    ? { ok: false, observation: `${head}; ${others}${lostNote}` }
    : { ok: true, observation: `${head}${lostNote}` };
}

// ---- cockroach node status --ranges -------------------------------------------------------------

export interface Table {
  format: 'pipe' | 'tsv' | 'csv';
  columns: string[];
  rows: Record<string, string>[];
}

function splitCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      cells.push(cur);
      cur = '';
    } else cur += c;
  }
  cells.push(cur);
  return cells.map((s) => s.trim());
}

function splitPipeLine(line: string): string[] {
  let cells = line.split('|').map((s) => s.trim());
  // Outer pipes (`| a | b |`) leave empty first/last cells; the 19.x "table" form has none.
  if (line.trim().startsWith('|')) cells = cells.slice(1);
  if (line.trim().endsWith('|')) cells = cells.slice(0, -1);
  return cells;
}

const RULE = /^[\s+\-|=]+$/;

/**
 * A table printed by a cockroach CLI command, in any of its forms: pretty pipe table (with or
 * without `+---+` rules and outer pipes), TSV or CSV (optionally preceded by an "N rows" line).
 * The header is the first line naming `headerHint`; columns are read by name.
 */
export function parseCockroachTable(text: string, headerHint = 'id'): Table {
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.trim() || RULE.test(line)) continue;
    let format: Table['format'];
    let split: (l: string) => string[];
    if (line.includes('|')) [format, split] = ['pipe', splitPipeLine];
    else if (line.includes('\t')) [format, split] = ['tsv', (l) => l.split('\t').map((s) => s.trim())];
    else if (line.includes(',')) [format, split] = ['csv', splitCsvLine];
    else continue;
    const columns = split(line);
    if (!columns.includes(headerHint)) continue;
    const rows: Record<string, string>[] = [];
    for (const rowLine of lines.slice(i + 1)) {
      if (!rowLine.trim() || RULE.test(rowLine)) continue;
      if (/^\(?\d+ rows?\)?$/.test(rowLine.trim())) continue;
      const cells = split(rowLine);
      if (cells.length !== columns.length) continue;
      rows.push(Object.fromEntries(columns.map((c, j) => [c, cells[j]!])));
    }
    return { format, columns, rows };
  }
  throw new Error(`no table with a "${headerHint}" column in the output: ${excerpt(text)}`);
}

/**
 * Every row's `ranges_underreplicated` is 0 (and, where the columns exist, `ranges_unavailable`
 * is 0 and `is_live` is true). Observation e.g. "ranges_underreplicated 0 on 3 nodes" or
 * "ranges_underreplicated 8 (node 1: 4, node 2: 4) on 3 nodes".
 */
/** The total of ranges_underreplicated over the nodes, or undefined when the table cannot be read. */
export function cockroachUnderreplicated(text: string): number | undefined {
  try {
    const rows = parseCockroachTable(text, 'ranges_underreplicated').rows;
    const counts = rows.map((r) => Number(r.ranges_underreplicated));
    return rows.length && counts.every(Number.isFinite) ? counts.reduce((a, b) => a + b, 0) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `cockroach node status --ranges`: good when every node is live, no range is unavailable and at
 * most `allowedUnder` ranges are under-replicated (the preflight baseline, policy.health baseline;
 * 0 otherwise).
 */
export function cockroachReplicated(text: string, allowedUnder = 0): Observation {
  let table: Table;
  try {
    table = parseCockroachTable(text, 'ranges_underreplicated');
  } catch {
    return { ok: false, observation: `no ranges_underreplicated column in: ${excerpt(text)}` };
  }
  if (table.rows.length === 0) return { ok: false, observation: 'cockroach node status listed no nodes' };
  const name = (r: Record<string, string>) => `node ${r.id ?? r.address ?? '?'}`;
  const under: string[] = [];
  const unavailable: string[] = [];
  const dead: string[] = [];
  let total = 0;
  for (const r of table.rows) {
    const n = Number(r.ranges_underreplicated);
    if (!Number.isFinite(n)) {
      under.push(`${name(r)}: "${r.ranges_underreplicated}"`);
      continue;
    }
    total += n;
    if (n !== 0) under.push(`${name(r)}: ${n}`);
    const u = r.ranges_unavailable !== undefined ? Number(r.ranges_unavailable) : 0;
    if (u !== 0) unavailable.push(`${name(r)}: ${r.ranges_unavailable}`);
    if (r.is_live !== undefined && r.is_live.toLowerCase() !== 'true') dead.push(name(r));
  }
  const nodes = `${table.rows.length} node${table.rows.length === 1 ? '' : 's'}`;
  if (under.length === 0 && unavailable.length === 0 && dead.length === 0) {
    return { ok: true, observation: `ranges_underreplicated 0 on ${nodes}` };
  }
  const unreadable = under.some((u) => u.includes('"'));
  if (!unreadable && total <= allowedUnder && unavailable.length === 0 && dead.length === 0) {
    return {
      ok: true,
      observation: `ranges_underreplicated ${total} on ${nodes} (${allowedUnder} before the patch, not counted)`,
    };
  }
  const parts = [];
  if (under.length > 0) parts.push(`ranges_underreplicated ${total} (${under.join(', ')})`);
  if (unavailable.length > 0) parts.push(`ranges_unavailable (${unavailable.join(', ')})`);
  if (dead.length > 0) parts.push(`not live: ${dead.join(', ')}`);
  return { ok: false, observation: `${parts.join('; ')} on ${nodes}` };
}

// ---- the generator's URL line -------------------------------------------------------------------

const URL_PREFIXES = ['Node upgrade script URL:', 'Node patch script URL:'];

/** Checks a node script URL: http(s), a host, and a path ending in dcos_node_upgrade.sh. Returns the problem, or undefined. */
export function nodeScriptUrlProblem(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `"${excerpt(url, 200)}" is not a URL`;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `"${url}" is not http(s)`;
  if (!u.pathname.endsWith('/dcos_node_upgrade.sh')) return `"${url}" does not end in dcos_node_upgrade.sh`;
  if (/[\s'"`$\\;&|<>()]/.test(url)) return `"${url}" contains characters a URL from the generator never has`;
  return undefined;
}

/**
 * The URL from the generator's output: the last line anywhere in it that starts with
 * "Node upgrade script URL:" (DC/OS 1.10–2.2) or "Node patch script URL:" (the patch docs),
 * ignoring ANSI colours and log prefixes before it. Lines may follow it (Enterprise 2.x).
 */
export function parseNodeScriptUrl(output: string): { url: string } | { problem: string } {
  let found: string | undefined;
  for (const raw of output.split(/\r?\n/)) {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: strip ANSI colour codes
    const line = raw.replace(/\x1b\[[0-9;]*m/g, '');
    for (const prefix of URL_PREFIXES) {
      const at = line.indexOf(prefix);
      if (at >= 0) found = line.slice(at + prefix.length).trim();
    }
  }
  if (found === undefined) {
    return { problem: `no line starting with "${URL_PREFIXES.join('" or "')}" in the generator's output` };
  }
  const problem = nodeScriptUrlProblem(found);
  return problem ? { problem: `the generator's URL line is unusable: ${problem}` } : { url: found };
}
