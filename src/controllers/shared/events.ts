// The event recorder of a kube-controller-manager controller: the kubelet's correlating recorder
// with the controller's component name, writing core/v1 Events through the API.

import type { KubeObject, ObjectReference } from '../../api/types.js';
import type { ApiClient } from '../../client/client.js';
import { ApiEventSink } from '../../agent/api-seams.js';
import { KubeletEventRecorder } from '../../kubelet/events.js';
import type { Clock } from '../../util/clock.js';

export interface Recorder {
  event(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void;
  flush(): Promise<void>;
}

export function objectReference(obj: KubeObject, apiVersion: string, kind: string): ObjectReference {
  return { kind, namespace: obj.metadata.namespace, name: obj.metadata.name, uid: obj.metadata.uid, apiVersion, resourceVersion: obj.metadata.resourceVersion };
}

export function controllerRecorder(client: ApiClient, clock: Clock, component: string, apiVersion: string, kind: string): Recorder {
  const recorder = new KubeletEventRecorder({ sink: new ApiEventSink(client), clock, component, host: '' });
  return {
    event: (obj, type, reason, message) => recorder.event(objectReference(obj, apiVersion, kind), type, reason, message),
    flush: () => recorder.flush(),
  };
}
