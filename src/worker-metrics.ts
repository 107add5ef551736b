/**
 * The worker's Prometheus endpoint: the SDK's own metrics (task slots, latencies, polls) and
 * dcos-patch's (src/workflows/metrics.ts, src/activities/metrics.ts), served on `/metrics` at
 * DCOS_PATCH_METRICS_ADDRESS (or `dcos-patch worker --metrics <host:port>`). Installed once per
 * process, before the first connection to Temporal.
 */
import { Runtime } from '@temporalio/worker';

let installedAt: string | undefined;

/** Serve metrics on `address` (e.g. 0.0.0.0:9464); undefined keeps the SDK's default (none). */
export function installMetrics(address: string | undefined): string | undefined {
  if (!address || installedAt) return installedAt;
  if (!/^[\w.:[\]-]+:\d{1,5}$/.test(address)) {
    throw new Error(`metrics address "${address}" is not host:port (for example 0.0.0.0:9464)`);
  }
  Runtime.install({
    telemetryOptions: {
      metrics: { prometheus: { bindAddress: address, countersTotalSuffix: true, useSecondsForDurations: true } },
    },
  });
  installedAt = address;
  return installedAt;
}
