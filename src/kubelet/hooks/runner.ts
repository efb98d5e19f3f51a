// Runs a container's postStart and preStop handlers as the kubelet does (pkg/kubelet/lifecycle):
// exec in the container without a timeout, HTTP GET from the node, or a node-side sleep. The result
// is the message Kubernetes reports when a handler fails.

import type { Container, LifecycleHandler, Pod } from '../../api/types.js';
import type { Runtime } from '../../runtime/types.js';
import type { Clock } from '../../util/clock.js';
import { joinHostPort, type HttpGetRequest, type ProbeNetwork } from '../network.js';
import { goQuote } from '../prober/format.js';
import { buildHttpGetRequest } from '../prober/http-request.js';
import { goList, podFullName } from '../status/pod-spec.js';
import type { EventRecorder } from '../types.js';
import { podReference } from '../types.js';

export type HookName = 'PostStart' | 'PreStop';

export interface LifecycleHandlerRunnerOptions {
  runtime: Runtime;
  clock: Clock;
  network: ProbeNetwork;
  podIP(podUid: string): string | undefined;
  /** For the LifecycleHTTPFallback warning. */
  recorder?: EventRecorder;
}

/** Lifecycle HTTP requests have no deadline of their own; the caller aborts them. */
const NO_TIMEOUT_MS = 2 ** 31 - 1;
const CANCELED = 'context canceled';
const HTTP_TO_HTTPS = 'server gave HTTP response to HTTPS client';

class Aborted extends Error {}

function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(new Aborted(CANCELED));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Aborted(CANCELED));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Go's %v of an IntOrString port: `{0 8080 }` or `{1 0 http}`. */
function goIntOrString(port: number | string): string {
  return typeof port === 'number' ? `{0 ${port} }` : `{1 0 ${port}}`;
}

/** The text Go prints for a handler the kubelet cannot run (only tcpSocket reaches here). */
function describeHandler(handler: LifecycleHandler): string {
  const tcp = handler.tcpSocket ? `&TCPSocketAction{Port:${goIntOrString(handler.tcpSocket.port)},Host:${handler.tcpSocket.host ?? ''},}` : 'nil';
  return `&LifecycleHandler{Exec:nil,HTTPGet:nil,TCPSocket:${tcp},Sleep:nil,}`;
}

export class LifecycleHandlerRunner {
  constructor(private readonly opts: LifecycleHandlerRunnerOptions) {}

  /** Resolves with undefined on success, else the error message Kubernetes reports for the hook. */
  async run(pod: Pod, container: Container, containerId: string, _hook: HookName, handler: LifecycleHandler, signal?: AbortSignal): Promise<string | undefined> {
    const where = `for Container ${goQuote(container.name)} in Pod ${goQuote(podFullName(pod))}`;
    if (handler.exec) {
      const command = handler.exec.command ?? [];
      const failure = await this.runExec(containerId, command, signal);
      if (!failure) return undefined;
      return `Exec lifecycle hook (${goList(command)}) ${where} failed - error: ${failure.error}, message: ${goQuote(failure.output)}`;
    }
    if (handler.httpGet) {
      const error = await this.runHttp(pod, container, handler, signal);
      return error === undefined ? undefined : `HTTP lifecycle hook (${handler.httpGet.path ?? ''}) ${where} failed - error: ${error}`;
    }
    if (handler.sleep) {
      try {
        await this.opts.clock.sleep(handler.sleep.seconds * 1000, signal);
        return undefined;
      } catch {
        return `Sleep lifecycle hook (${handler.sleep.seconds}) ${where} failed - error: container terminated before sleep hook finished`;
      }
    }
    return `Cannot run handler: invalid handler: ${describeHandler(handler)}`;
  }

  private async runExec(containerId: string, command: string[], signal: AbortSignal | undefined): Promise<{ error: string; output: string } | undefined> {
    try {
      const result = await untilAborted(this.opts.runtime.execSync(containerId, command, 0), signal);
      if (result.exitCode === 0) return undefined;
      const output = Buffer.concat([result.stdout, result.stderr]).toString('utf8');
      return { error: `command '${command.join(' ')}' exited with ${result.exitCode}: ${result.stderr.toString('utf8')}`, output };
    } catch (err) {
      return { error: messageOf(err), output: '' };
    }
  }

  private async runHttp(pod: Pod, container: Container, handler: LifecycleHandler, signal: AbortSignal | undefined): Promise<string | undefined> {
    const action = handler.httpGet!;
    const host = action.host || this.opts.podIP(pod.metadata.uid ?? '');
    if (!host) return 'failed to find networking container: the pod has no IP address';
    let req: HttpGetRequest;
    try {
      req = { ...buildHttpGetRequest(action, container, host, 'lifecycle', NO_TIMEOUT_MS, true), ...(signal ? { signal } : {}) };
    } catch (err) {
      return messageOf(err);
    }
    try {
      await untilAborted(this.opts.network.httpGet(req), signal);
      return undefined;
    } catch (err) {
      const message = messageOf(err);
      if (req.scheme !== 'HTTPS' || !message.includes(HTTP_TO_HTTPS)) return message;
      const plain: HttpGetRequest = { ...req, scheme: 'HTTP', headers: req.headers.filter(([name]) => name !== 'Authorization') };
      try {
        await untilAborted(this.opts.network.httpGet(plain), signal);
      } catch {
        return message;
      }
      this.opts.recorder?.event(
        podReference(pod),
        'Warning',
        'LifecycleHTTPFallback',
        `request to HTTPS lifecycle hook ${joinHostPort(req.host, req.port)} got HTTP response, retry with HTTP succeeded`,
      );
      return undefined;
    }
  }
}

