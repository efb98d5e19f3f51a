// The seam for admission plugins that see every write the registry makes: the operation, the
// object before and after, and who asks.

import type { KubeObject } from '../../api/types.js';
import type { ResourceInfo } from '../../api/resources.js';
import type { UserInfo } from '../registry.js';

export interface AdmissionAttributes {
  operation: 'CREATE' | 'UPDATE' | 'DELETE';
  resource: ResourceInfo;
  subresource: string;
  namespace: string;
  name: string;
  /** The object to be written (absent on DELETE). */
  object?: KubeObject;
  /** The stored object (absent on CREATE). */
  oldObject?: KubeObject;
  user: UserInfo;
}

export interface WriteAdmission {
  /** Throws the error (a Status) that refuses the write. */
  admit(a: AdmissionAttributes): Promise<void> | void;
}
