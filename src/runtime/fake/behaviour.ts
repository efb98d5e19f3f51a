// Scripted behaviour of fake containers and exec commands. A test says what a container "does"
// (exit after a while, handle or ignore SIGTERM, fail to start, run out of memory) and the fake
// runtime plays it out on the injected clock.

import type { ContainerConfig } from '../types.js';

export interface ContainerBehaviour {
  /** The process exits by itself this long after start (absent: runs until signalled). */
  exitAfterMs?: number;
  /** Exit code of the self-initiated exit (default 0). */
  exitCode?: number;
  /**
   * What the stop signal does: exit with `exitCode` (default 143) after `afterMs` (default 0), or
   * `'ignore'` it, as PID 1 without a handler does, so that only SIGKILL ends it.
   */
  onStopSignal?: 'ignore' | { afterMs?: number; exitCode?: number };
  /** The process is killed by the OOM killer this long after start (exit 137, reason OOMKilled). */
  oomAfterMs?: number;
  /** createContainer fails with this message. */
  failCreate?: string;
  /** startContainer fails with this message (the container ends EXITED, 128, StartError). */
  failStart?: string;
  /** Lines written to the container's log at start, CRI format, stdout. */
  logLines?: string[];
  /** Written to the termination-message file (when one is mounted) when the process exits. */
  terminationMessage?: string;
}

/** Which containers a behaviour applies to; every given field must match. */
export interface ContainerMatcher {
  image?: string;
  name?: string;
  /** Matches when the joined command+args contains this text. */
  commandIncludes?: string;
}

/** A behaviour, or a function of the container config and how many instances of this name ran before. */
export type BehaviourSource = ContainerBehaviour | ((config: ContainerConfig, previousInstances: number) => ContainerBehaviour);

export interface ExecBehaviour {
  exitCode?: number;
  stdout?: string;
  stderr?: string;
  /** How long the command runs (virtual time). */
  durationMs?: number;
}

/** An exec script: by the joined command text (substring) or a predicate over argv. */
export type ExecMatcher = string | ((command: string[], containerName: string) => boolean);

export type ExecSource = ExecBehaviour | ((command: string[], containerName: string) => ExecBehaviour);

export function matchesContainer(m: ContainerMatcher, config: ContainerConfig): boolean {
  if (m.image !== undefined && m.image !== config.image) return false;
  if (m.name !== undefined && m.name !== config.name) return false;
  if (m.commandIncludes !== undefined && ![...config.command, ...config.args].join(' ').includes(m.commandIncludes)) return false;
  return true;
}

export function matchesExec(m: ExecMatcher, command: string[], containerName: string): boolean {
  return typeof m === 'string' ? command.join(' ').includes(m) : m(command, containerName);
}
