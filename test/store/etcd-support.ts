// Helpers shared by the etcd store tests.

import { StoreError, type KeyValue, type Store } from '../../src/store/types.js';

/**
 * Creates `key`, trying again for at most `ms` while etcd members are going away. A create whose
 * answer was lost may still have been applied: if a later attempt finds the key with this value,
 * that earlier attempt is the acknowledged write.
 */
export async function createDespiteLoss(store: Store, key: string, value: string, ms: number): Promise<KeyValue> {
  const deadline = Date.now() + ms;
  let failedBefore = false;
  for (;;) {
    try {
      return await store.create(key, value);
    } catch (err) {
      if (err instanceof StoreError) {
        if (err.code === 'KeyExists' && failedBefore) {
          const kv = await store.get(key);
          if (kv && kv.value === value) return kv;
        }
        throw err;
      }
      if (Date.now() > deadline) throw err;
      failedBefore = true;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
