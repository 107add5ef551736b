/**
 * The node patch script's conversation with the simulator: it reports that it was invoked and
 * started (ground truth), receives its timings and any injected script fault, and asks the model
 * to stop and start the host's DC/OS units around the package swap.
 */
import { shq } from '../../shared/shell';
import { bootstrapId, imageCommit } from '../host-fs';
import { type CmdContext, type CmdResult, fail, ok } from './context';

const secs = (ms: number): string => (Math.max(0, ms) / 1000).toFixed(3);

export function scriptInvoked(ctx: CmdContext): CmdResult {
  ctx.model.truth.scriptInvoked(ctx.host.spec.id);
  return ok();
}

export function scriptStart(ctx: CmdContext): CmdResult {
  const [upgradeId = 'unknown', , toVersion = ctx.env.targetVersion] = ctx.args;
  const { host, model, env } = ctx;
  model.truth.scriptStarted(host.spec.id, upgradeId);
  const fault = host.faults.takeScriptFault();
  const wrong = host.faults.find('wrong-version-after-patch');
  const newVersion = wrong?.dcosVersion ?? toVersion;
  const total = host.faults.takeScriptDuration() ?? env.timings.scriptMs;
  const vars: Record<string, string> = {
    SIM_FETCH_S: secs(total * 0.4),
    SIM_SWAP_S: secs(total * 0.45),
    SIM_CHECK_S: secs(total * 0.15),
    SIM_FAULT_KIND: fault?.kind ?? 'none',
    SIM_FAULT_AT: fault?.at ?? '',
    SIM_FAULT_CODE: String(fault?.code ?? 0),
    SIM_NEW_VERSION: newVersion,
    SIM_IMAGE_COMMIT: imageCommit(newVersion),
    SIM_BOOTSTRAP_ID: bootstrapId(newVersion, env.variant),
  };
  return ok(
    `${Object.entries(vars)
      .map(([k, v]) => `${k}=${shq(v)}`)
      .join('\n')}\n`
  );
}

export function scriptEnd(ctx: CmdContext): CmdResult {
  const code = Number(ctx.args[1] ?? '255');
  ctx.model.truth.scriptEnded(ctx.host.spec.id, Number.isFinite(code) ? code : 255);
  return ok();
}

export function unitsStop(ctx: CmdContext): CmdResult {
  if (ctx.euid !== 0) return fail(1, 'pkgpanda: must run as root\n');
  ctx.model.stopUnits(ctx.host);
  return ok();
}

export function unitsStart(ctx: CmdContext): CmdResult {
  if (ctx.euid !== 0) return fail(1, 'pkgpanda: must run as root\n');
  const wrong = ctx.host.faults.find('wrong-version-after-patch');
  if (wrong) ctx.host.mesosVersionOverride = wrong.version;
  ctx.model.startUnits(ctx.host);
  return ok();
}
