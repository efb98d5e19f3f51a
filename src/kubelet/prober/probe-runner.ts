// Runs one probe of a container and judges the outcome as Kubernetes' probers do (pkg/probe/*):
// exec through the runtime, HTTP GET, TCP connect, gRPC health check.

import type { Container, EnvVar, Probe } from '../../api/types.js';
import type { Runtime } from '../../runtime/types.js';
import { GrpcCheckError, joinHostPort, MAX_BODY_BYTES, type ProbeNetwork } from '../network.js';
import { goDuration, goQuote } from './format.js';
import { buildHttpGetRequest, resolveContainerPort } from './http-request.js';

export type ProbeOutcome = 'success' | 'warning' | 'failure' | 'unknown';

export interface ProbeAttempt {
  outcome: ProbeOutcome;
  output: string;
  /** The prober could not judge (e.g. the runtime failed); the result does not count. */
  error?: Error;
}

export interface ProbeTarget {
  container: Container;
  /** The runtime's id of the container instance. */
  containerId: string;
  podIP: string | undefined;
}

export const MAX_EXEC_OUTPUT_BYTES = 10 * 1024;
export const MAX_PROBE_RETRIES = 3;

/** `$(VAR)` from the container's literal env values only; `$$` is a literal `$`. */
export function expandStaticCommand(command: readonly string[], env: readonly EnvVar[] | undefined): string[] {
  const values = new Map<string, string>();
  for (const e of env ?? []) values.set(e.name, e.value ?? '');
  return command.map((arg) =>
    arg.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
      if (match === '$$') return '$';
      return values.has(name!) ? values.get(name!)! : match;
    }),
  );
}

export class ProbeRunner {
  constructor(
    private readonly runtime: Runtime,
    private readonly network: ProbeNetwork,
  ) {}

  /** Runs the probe, again at once (up to 3 times in all) while the prober errors. */
  async run(probe: Probe, target: ProbeTarget): Promise<ProbeAttempt> {
    let attempt: ProbeAttempt = { outcome: 'unknown', output: '' };
    for (let i = 0; i < MAX_PROBE_RETRIES; i++) {
      attempt = await this.runOnce(probe, target);
      if (!attempt.error) return attempt;
    }
    return attempt;
  }

  private async runOnce(probe: Probe, target: ProbeTarget): Promise<ProbeAttempt> {
    const timeoutMs = (probe.timeoutSeconds || 1) * 1000;
    try {
      if (probe.exec) return await this.exec(probe.exec.command ?? [], timeoutMs / 1000, target);
      if (probe.httpGet) return await this.http(probe, timeoutMs, target);
      if (probe.tcpSocket) return await this.tcp(probe, timeoutMs, target);
      if (probe.grpc) return await this.grpc(probe, timeoutMs, target);
      return { outcome: 'unknown', output: '', error: new Error(`missing probe handler for container ${target.container.name}`) };
    } catch (err) {
      return { outcome: 'unknown', output: '', error: err instanceof Error ? err : new Error(String(err)) };
    }
  }

  private async exec(command: string[], timeoutSeconds: number, target: ProbeTarget): Promise<ProbeAttempt> {
    const argv = expandStaticCommand(command, target.container.env);
    const result = await this.runtime.execSync(target.containerId, argv, timeoutSeconds);
    if (result.timedOut) return { outcome: 'failure', output: `command ${goQuote(argv.join(' '))} timed out` };
    const output = Buffer.concat([result.stdout, result.stderr]).subarray(0, MAX_EXEC_OUTPUT_BYTES).toString('utf8');
    return { outcome: result.exitCode === 0 ? 'success' : 'failure', output };
  }

  private requirePodIP(host: string | undefined, target: ProbeTarget): string {
    const ip = host || target.podIP;
    if (!ip) throw new Error('pod has no IP address yet');
    return ip;
  }

  private async http(probe: Probe, timeoutMs: number, target: ProbeTarget): Promise<ProbeAttempt> {
    const action = probe.httpGet!;
    const req = buildHttpGetRequest(action, target.container, this.requirePodIP(action.host, target), 'probe', timeoutMs, true);
    let res;
    try {
      res = await this.network.httpGet(req);
    } catch (err) {
      return { outcome: 'failure', output: err instanceof Error ? err.message : String(err) };
    }
    const body = res.body.subarray(0, MAX_BODY_BYTES).toString('utf8');
    if (res.statusCode >= 200 && res.statusCode < 400) {
      if (res.statusCode >= 300) return { outcome: 'warning', output: `Probe terminated redirects, Response body: ${body}` };
      return { outcome: 'success', output: body };
    }
    return { outcome: 'failure', output: `HTTP probe failed with statuscode: ${res.statusCode}` };
  }

  private async tcp(probe: Probe, timeoutMs: number, target: ProbeTarget): Promise<ProbeAttempt> {
    const action = probe.tcpSocket!;
    const port = resolveContainerPort(action.port, target.container);
    const host = this.requirePodIP(action.host, target);
    try {
      await this.network.tcpConnect(host, port, timeoutMs);
      return { outcome: 'success', output: '' };
    } catch (err) {
      return { outcome: 'failure', output: err instanceof Error ? err.message : String(err) };
    }
  }

  private async grpc(probe: Probe, timeoutMs: number, target: ProbeTarget): Promise<ProbeAttempt> {
    const action = probe.grpc!;
    const host = this.requirePodIP(undefined, target);
    const address = joinHostPort(host, action.port);
    const timeout = goDuration(timeoutMs);
    try {
      const status = await this.network.grpcHealthCheck(host, action.port, action.service ?? '', timeoutMs);
      if (status === 'SERVING') return { outcome: 'success', output: 'service healthy' };
      return { outcome: 'failure', output: `service unhealthy (responded with "${status}")` };
    } catch (err) {
      const kind = err instanceof GrpcCheckError ? err.kind : 'rpc';
      const detail = err instanceof Error ? err.message : String(err);
      switch (kind) {
        case 'connect-timeout':
          return { outcome: 'failure', output: `timeout: failed to connect service "${address}" within ${timeout}: context deadline exceeded` };
        case 'connect':
          return { outcome: 'failure', output: `error: failed to connect service at "${address}": ${detail}` };
        case 'unimplemented':
          return { outcome: 'failure', output: `error: this server does not implement the grpc health protocol (grpc.health.v1.Health): ${detail}` };
        case 'deadline':
          return { outcome: 'failure', output: `timeout: health rpc did not complete within ${timeout}` };
        default:
          return { outcome: 'failure', output: `error: health rpc probe failed: ${detail}` };
      }
    }
  }
}
