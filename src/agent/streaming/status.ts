// The outcome of a remote command as the kubelet reports it on the error stream: from protocol v4 a
// metav1.Status in JSON (kubectl takes its exit code from the ExitCode cause), before v4 only the
// message of a failure. Keys are in the order Go marshals them.

export interface CommandStatus {
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { causes: { reason?: string; message: string }[] };
  code?: number;
}

export function successStatus(): CommandStatus {
  return { metadata: {}, status: 'Success' };
}

export function exitCodeStatus(exitCode: number): CommandStatus {
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: exit status ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

export function internalErrorStatus(message: string): CommandStatus {
  return {
    metadata: {},
    status: 'Failure',
    message: `Internal error occurred: ${message}`,
    reason: 'InternalError',
    details: { causes: [{ message }] },
    code: 500,
  };
}

export type StatusEncoding = 'json' | 'message';

/** The bytes written to the error stream, or nothing (a pre-v4 success is silence). */
export function encodeStatus(status: CommandStatus, encoding: StatusEncoding): Buffer | undefined {
  if (encoding === 'json') return Buffer.from(JSON.stringify(status));
  return status.status === 'Success' ? undefined : Buffer.from(status.message ?? '');
}
