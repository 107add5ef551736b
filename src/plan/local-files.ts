/**
 * Files on the worker machine that the plan names: config.yaml (old and new), ip-detect, the
 * license, the SSH key and known_hosts, TLS files and the token file. The check proves each exists
 * and is readable now, so a patch never stops half-way for want of a file. Secret files (keys,
 * tokens) are only stat()ed and access()ed, never read: their contents never enter the plan.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { errorText } from './config-yaml';
import { type FieldContext, type Rec, readString, resolveLocalPath } from './fields';

export interface LocalFileOptions {
  required: boolean;
  /** Used when the field is absent (e.g. `~/.ssh/known_hosts`). */
  fallback?: string;
  example: string;
  /** The field names a secret: refuse a value that looks like the secret itself. */
  secret?: 'private-key' | 'token';
}

/** Read a local-file field: resolved, absolute, and proven to be a readable regular file. */
export function readLocalFile(
  ctx: FieldContext,
  rec: Rec | undefined,
  key: string,
  field: string,
  opts: LocalFileOptions
): string | undefined {
  const raw = readString(ctx, rec, key, field, { required: opts.required, example: opts.example }) ?? opts.fallback;
  if (raw === undefined) return undefined;
  if (opts.secret && looksLikeInlineSecret(raw, opts.secret)) {
    ctx.findings.error(
      ctx.file,
      field,
      'secret-in-plan',
      `${field} holds what looks like the ${opts.secret === 'token' ? 'token' : 'key'} itself, not a path; the plan is stored in Temporal history, so secrets must stay out of it`,
      `put the secret in a file on the worker machine (mode 0600) and set ${field} to that file's path; treat the value written here as exposed and rotate it`
    );
    return undefined;
  }
  const resolved = resolveLocalPath(raw, ctx.dir);
  if (!resolved.ok) {
    ctx.findings.error(ctx.file, field, 'path-unsupported', `${field}: ${resolved.problem}`, 'write the path in full');
    return undefined;
  }
  const problem = fileProblem(resolved.path);
  if (problem) {
    const shown = raw === resolved.path ? resolved.path : `${resolved.path} (from "${raw}")`;
    const envHint = raw.includes('$') ? '; environment variables are not expanded' : '';
    ctx.findings.error(
      ctx.file,
      field,
      problem.code,
      `${field}: ${shown} ${problem.text}${envHint}`,
      problem.code === 'file-missing'
        ? `create the file or correct the path (relative paths are resolved against ${ctx.dir})`
        : problem.fix
    );
    return undefined;
  }
  return resolved.path;
}

/** The largest file a plan may name: real ones are a few KiB; a mistaken path should not be read. */
export const MAX_LOCAL_FILE_BYTES = 1024 * 1024;

function fileProblem(path: string): { code: string; text: string; fix: string } | undefined {
  try {
    const st = statSync(path);
    if (!st.isFile()) {
      return {
        code: 'file-not-regular',
        text: 'is not a regular file',
        fix: 'name the file itself, not its directory',
      };
    }
    if (st.size > MAX_LOCAL_FILE_BYTES) {
      return {
        code: 'file-too-large',
        text: `is ${st.size} bytes; the files a plan names (configs, ip-detect, keys, certificates, tokens) are a few KiB`,
        fix: 'name the right file',
      };
    }
    accessSync(path, constants.R_OK);
    return undefined;
  } catch (err) {
    const text = errorText(err);
    if (text === 'no such file') return { code: 'file-missing', text: 'does not exist', fix: '' };
    return {
      code: 'file-unreadable',
      text: `cannot be read (${text})`,
      fix: 'make it readable by the user running dcos-patch (and the worker)',
    };
  }
}

/** PEM blocks, multi-line values and JWTs are secrets, not paths. */
export function looksLikeInlineSecret(value: string, kind: 'private-key' | 'token'): boolean {
  if (value.includes('\n') || /-----BEGIN [A-Z ]*KEY-----/.test(value)) return true;
  if (kind === 'token') return /^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(value.trim());
  return false;
}
