/**
 * How the CLI reaches Temporal: the global flags (same names as the `temporal` CLI), one lazily
 * made client per command, and the translation of Temporal's errors into the CLI's exit codes.
 */
import {
  Client,
  Connection,
  isGrpcServiceError,
  NamespaceNotFoundError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { ALL_SEARCH_ATTRIBUTES } from '../shared/search-attributes';
import { type ConnectionFlags, type ConnectionSettings, connectionSettings } from '../temporal/connection';
import { CliError, ExitCode } from './exit-codes';
import { webUiBase } from './ui-url';

/** The global options every command sees (`cmd.optsWithGlobals()`). */
export interface GlobalOptions extends ConnectionFlags {
  taskQueue?: string;
}

const DEFAULT_TASK_QUEUE = 'dcos-patch-v1';
/** How long a single call may take before the CLI calls Temporal unreachable. */
const CONNECT_TIMEOUT = '5s';

/** gRPC status codes the CLI tells apart. */
const GRPC = {
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  UNIMPLEMENTED: 12,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
};

export class CliContext {
  readonly settings: ConnectionSettings;
  readonly taskQueue: string;
  /** `dcos-patch` plus the connection flags given on the command line, for commands we print. */
  readonly commandPrefix: string;
  private connection?: Connection;
  private client?: Client;

  constructor(
    readonly options: GlobalOptions,
    readonly env: NodeJS.ProcessEnv = process.env
  ) {
    try {
      this.settings = connectionSettings(options, env);
    } catch (err) {
      throw new CliError((err as Error).message, ExitCode.Usage);
    }
    this.taskQueue = options.taskQueue ?? env.DCOS_PATCH_TASK_QUEUE ?? DEFAULT_TASK_QUEUE;
    const flags: string[] = [];
    if (options.address) flags.push('--address', options.address);
    if (options.namespace) flags.push('--namespace', options.namespace);
    this.commandPrefix = ['dcos-patch', ...flags].join(' ');
  }

  get namespace(): string {
    return this.settings.namespace;
  }

  /** The client, connected on first use. Cannot connect → exit 3. */
  async getClient(): Promise<Client> {
    if (this.client) return this.client;
    const { address, tls, apiKey } = this.settings;
    try {
      this.connection = await Connection.connect({ address, tls, apiKey, connectTimeout: CONNECT_TIMEOUT });
    } catch (err) {
      throw new CliError(
        `cannot reach Temporal at ${address}: ${firstLine(err)}. Is the server running (dcos-patch dev-server status) and is --address / TEMPORAL_ADDRESS right?`,
        ExitCode.NotFound
      );
    }
    this.client = new Client({ connection: this.connection, namespace: this.namespace });
    return this.client;
  }

  /** Run `fn` with a deadline on every call it makes (so a dead server cannot hang a watch). */
  async withDeadline<T>(ms: number, fn: () => Promise<T>): Promise<T> {
    await this.getClient();
    return this.connection!.withDeadline(Date.now() + ms, fn);
  }

  /** Drop the connection; the next `getClient()` connects again. */
  async reconnect(): Promise<void> {
    const old = this.connection;
    this.connection = undefined;
    this.client = undefined;
    await old?.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.reconnect();
  }

  /** The Web UI page of a workflow, on the UI the server really serves (see ui-url.ts). */
  uiUrl(workflowId: string): string {
    const base = webUiBase(this.env, this.settings.address);
    return `${base}/namespaces/${encodeURIComponent(this.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  }

  /** Turn whatever a Temporal call threw into a CliError with the right exit code. */
  explain(err: unknown, workflowId?: string): CliError {
    if (err instanceof CliError) return err;
    if (err instanceof WorkflowNotFoundError) {
      return new CliError(
        `no patch with id ${err.workflowId || workflowId} in namespace ${this.namespace} (dcos-patch list shows the patches)`,
        ExitCode.NotFound
      );
    }
    if (err instanceof NamespaceNotFoundError) {
      return new CliError(`namespace ${err.namespace} does not exist on ${this.settings.address}`, ExitCode.NotFound);
    }
    if (err instanceof WorkflowUpdateFailedError) {
      return new CliError(`rejected: ${err.cause?.message ?? err.message}`, ExitCode.Rejected);
    }
    const code = grpcCode(err);
    if (code === GRPC.NOT_FOUND) {
      return new CliError(`not found${workflowId ? `: ${workflowId}` : ''}: ${firstLine(err)}`, ExitCode.NotFound);
    }
    if (code === GRPC.UNAVAILABLE || code === GRPC.DEADLINE_EXCEEDED) {
      return new CliError(`cannot reach Temporal at ${this.settings.address}: ${firstLine(err)}`, ExitCode.NotFound);
    }
    if (code === GRPC.UNIMPLEMENTED) {
      return new CliError(
        `${this.settings.address} answers but is not a Temporal frontend (${firstLine(err)}); point --address / TEMPORAL_ADDRESS at Temporal's gRPC port (7233 by default)`,
        ExitCode.NotFound
      );
    }
    if (code === GRPC.UNAUTHENTICATED || code === GRPC.PERMISSION_DENIED) {
      return new CliError(
        `Temporal at ${this.settings.address} refused the credentials: ${firstLine(err)} (check --api-key / --tls-* flags)`,
        ExitCode.NotFound
      );
    }
    const text = firstLine(err);
    if (/search attribute/i.test(text) && /Dcos/.test(text)) {
      return new CliError(
        `${text}. This Temporal server does not know the dcos-patch search attributes; register them once: ${ALL_SEARCH_ATTRIBUTES.map((k) => `temporal operator search-attribute create --name ${k.name} --type Keyword`).join(' && ')}`,
        ExitCode.Failed
      );
    }
    return new CliError(text, ExitCode.Failed);
  }
}

/** The gRPC status code of an error or of its cause, if it has one. */
export function grpcCode(err: unknown): number | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 4; depth++) {
    if (isGrpcServiceError(e)) return e.code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Errors worth retrying in a watch loop: the connection blipped, the server is restarting. */
export function isTransient(err: unknown): boolean {
  const code = grpcCode(err);
  if (code === GRPC.UNAVAILABLE || code === GRPC.DEADLINE_EXCEEDED) return true;
  if (err instanceof CliError) return err.exitCode === ExitCode.NotFound && /cannot reach/.test(err.message);
  return /ECONNREFUSED|ECONNRESET|No connection established|Failed to connect|deadline/i.test(firstLine(err));
}

/** One line saying what went wrong: the error's message, with its root cause's when it wraps one. */
export function firstLine(err: unknown): string {
  const line = (e: unknown) => {
    const text = e instanceof Error ? e.message : String(e);
    return text.split('\n')[0] ?? text;
  };
  let root: unknown = err;
  for (let depth = 0; depth < 4 && root instanceof Error && root.cause; depth++) root = root.cause;
  const outer = line(err);
  const inner = line(root);
  return root === err || outer.includes(inner) ? outer : `${outer}: ${inner}`;
}
