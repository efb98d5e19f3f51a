// autoscaling/v1: Scale, the body of every scale subresource.
import { topLevel } from './meta.js';
import { int32, ref, req, string, struct } from './dsl.js';

export const ScaleSpec = struct('io.k8s.api.autoscaling.v1.ScaleSpec', 'The desired scale.', {
  replicas: int32('Desired number of instances.'),
});

export const ScaleStatus = struct('io.k8s.api.autoscaling.v1.ScaleStatus', 'The observed scale.', {
  replicas: req(int32('Actual number of instances.')),
  selector: string('Label query over the pods, in string form.'),
});

export const Scale = topLevel('autoscaling', 'v1', 'Scale', 'The scale subresource of a scalable object.', {
  spec: ref(ScaleSpec, 'Desired scale.'),
  status: ref(ScaleStatus, 'Observed scale. Read-only.'),
});
