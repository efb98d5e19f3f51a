export { FakeRuntime, type FakeRuntimeOptions, type RuntimeCall } from './runtime.js';
export type { ContainerBehaviour, ContainerMatcher, BehaviourSource, ExecBehaviour, ExecMatcher, ExecSource } from './behaviour.js';
