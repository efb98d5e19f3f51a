// The JSON text of a stored object, built once per write and reused: the store gets it without a
// resourceVersion (the revision is the resourceVersion), and the answer to the request and the watch
// cache's copy are the same text with the resourceVersion inserted as metadata's last field, which
// is exactly what JSON.stringify gives for the object once its resourceVersion is set.

import type { KubeObject } from '../api/types.js';

export interface StoredJson {
  /** JSON.stringify(object), the object's metadata holding no resourceVersion. */
  text: string;
  /** The index in `text` of the brace closing the top-level metadata object; -1 when there is none. */
  metadataEnd: number;
}

/** JSON.stringify of a plain object, also telling where its metadata object ends. */
export function stringifyStored(obj: KubeObject): StoredJson {
  let text = '{';
  let metadataEnd = -1;
  for (const key of Object.keys(obj)) {
    const value = JSON.stringify((obj as unknown as Record<string, unknown>)[key]);
    if (value === undefined) continue;
    if (text.length > 1) text += ',';
    text += `${JSON.stringify(key)}:`;
    if (key === 'metadata' && value.charCodeAt(0) === 0x7b /* { */) metadataEnd = text.length + value.length - 1;
    text += value;
  }
  return { text: `${text}}`, metadataEnd };
}

/** The stored text with `"resourceVersion":"<revision>"` as metadata's last field. */
export function withResourceVersion(stored: StoredJson, revision: number): string | undefined {
  const { text, metadataEnd: end } = stored;
  if (end < 0) return undefined;
  const field = `"resourceVersion":${JSON.stringify(String(revision))}`;
  return `${text.slice(0, end)}${text.charCodeAt(end - 1) === 0x7b ? '' : ','}${field}${text.slice(end)}`;
}
