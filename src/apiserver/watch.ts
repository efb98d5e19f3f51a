// Watch streams served from the watch cache: newline-delimited JSON events (or Tables when the
// client listed Tables), initial ADDED events for resourceVersion unset/0, resume from history
// for an exact resourceVersion, 410 Expired when history is gone, bookmarks only on request,
// selector transitions (an object leaving the selector is DELETED for that watcher).

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject } from '../api/types.js';
import { groupVersion, type ResourceInfo } from '../api/resources.js';
import { errors, type ApiError } from '../api/errors.js';
import { coreEventToEventsV1 } from '../api/event-versions.js';
import { parseAccept } from './http.js';
import { listOptions, partialMetadata, storageResource, tableOf, type RestContext } from './rest.js';
import { namespacePrefix, resourcePrefix } from './storage-keys.js';
import type { CacheEvent, CacheWatcher, CachedObject } from './watch-cache.js';
import { parseRevision } from './registry.js';
import type { ResourceRequest } from './request-info.js';

/** A watcher whose socket buffers more than this is too slow: it is closed and must re-watch. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

export async function handleWatch(rc: RestContext, req: IncomingMessage, res: ServerResponse, info: ResourceInfo, r: ResourceRequest, query: URLSearchParams): Promise<void> {
  const registry = rc.registry;
  const stored = storageResource(registry, info);
  const options = listOptions(info, query);
  if (r.name) {
    // GET .../pods/NAME?watch=true is a watch with a metadata.name selector.
    const selector = query.get('fieldSelector');
    query.set('fieldSelector', selector ? `${selector},metadata.name=${r.name}` : `metadata.name=${r.name}`);
    Object.assign(options, listOptions(info, query));
  }
  const matches = registry.cachedMatcher(options);
  const prefix = namespacePrefix(stored, r.namespace);
  const accept = parseAccept(req.headers.accept);
  const includeObject = (query.get('includeObject') ?? 'Metadata') as 'None' | 'Metadata' | 'Object';
  const bookmarks = query.get('allowWatchBookmarks') === 'true';
  const rv = options.resourceVersion;
  const timeoutSeconds = query.has('timeoutSeconds') ? Number(query.get('timeoutSeconds')) : 1800 + Math.floor(Math.random() * 1800);

  if (rv && rv !== '0') await registry.hub.waitFor(parseRevision(rv));

  const cache = registry.hub.cache(resourcePrefix(stored));
  const eventsV1 = info.group === 'events.k8s.io';
  let headersSent = false;
  let tableHeaderSent = false;
  let lastSent = registry.hub.revision;

  const encodeObject = (o: CachedObject): string => {
    if (accept.table) {
      const obj = eventsV1 ? coreEventToEventsV1(o.object) : o.object;
      const table = tableOf(info, [obj], rc.now(), includeObject, tableHeaderSent);
      tableHeaderSent = true;
      table.metadata = { resourceVersion: String(o.revision) };
      return JSON.stringify(table);
    }
    if (accept.metadataOnly) return JSON.stringify(partialMetadata(o.object));
    return eventsV1 ? JSON.stringify(coreEventToEventsV1(o.object)) : o.json;
  };

  const start = () => {
    if (headersSent) return;
    headersSent = true;
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
  };

  // Events of one turn of the event loop leave in one socket write (one TLS record) instead of one each.
  let corked = false;
  const uncork = () => {
    corked = false;
    res.uncork();
  };
  const write = (type: string, object: string): boolean => {
    start();
    if (!corked) {
      corked = true;
      res.cork();
      setImmediate(uncork);
    }
    res.write(`{"type":"${type}","object":${object}}\n`);
    return res.writableLength < MAX_BUFFERED_BYTES;
  };

  let closed = false;
  const watcher: CacheWatcher = {
    deliver(event: CacheEvent): boolean {
      if (closed) return false;
      if (!event.current.key.startsWith(prefix)) return true;
      const type = transition(event, matches);
      if (!type) return true;
      lastSent = event.revision;
      return write(type, encodeObject(event.current));
    },
    progress(revision) {
      if (closed || !bookmarks || revision <= lastSent) return;
      lastSent = revision;
      write('BOOKMARK', JSON.stringify({ kind: info.kind, apiVersion: groupVersion(info), metadata: { resourceVersion: String(revision) } }));
    },
    close(reason?: Error) {
      if (closed) return;
      closed = true;
      if (reason && 'status' in reason) write('ERROR', JSON.stringify((reason as ApiError).status));
      res.end();
    },
  };

  // Snapshot and subscription happen in one synchronous step: no event can fall between them.
  if (!rv || rv === '0') {
    start();
    const keys = cache.keys();
    for (const key of keys) {
      if (!key.startsWith(prefix)) continue;
      const o = cache.objects.get(key)!;
      if (matches(o)) write('ADDED', encodeObject(o));
    }
  } else {
    const since = cache.eventsSince(parseRevision(rv));
    if (!since) {
      const oldest = cache.oldestRevision;
      start();
      write('ERROR', JSON.stringify(errors.expired(`too old resource version: ${rv} (${oldest})`).status));
      res.end();
      return;
    }
    start();
    for (const e of since) if (!watcher.deliver(e)) return watcher.close();
  }
  cache.watchers.add(watcher);

  const stop = () => {
    cache.watchers.delete(watcher);
    watcher.close();
  };
  const timer = setTimeout(stop, Math.max(0, timeoutSeconds) * 1000);
  timer.unref();
  res.on('close', () => {
    clearTimeout(timer);
    closed = true;
    cache.watchers.delete(watcher);
  });
}

/** The event a watcher with this selector sees, if any. */
function transition(event: CacheEvent, matches: (o: CachedObject) => boolean): 'ADDED' | 'MODIFIED' | 'DELETED' | undefined {
  const now = matches(event.current);
  const before = event.previous ? matches(event.previous) : false;
  if (event.type === 'ADDED') return now ? 'ADDED' : undefined;
  if (event.type === 'DELETED') return before ? 'DELETED' : undefined;
  if (now && before) return 'MODIFIED';
  if (now) return 'ADDED';
  if (before) return 'DELETED';
  return undefined;
}
