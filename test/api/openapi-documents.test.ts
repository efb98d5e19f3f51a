import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { groupVersion, resources } from '../../src/api/resources.js';
import {
  decodeOpenAPIv2,
  openapiV2Json,
  openapiV2Protobuf,
  openapiV2ProtobufHash,
  openapiV3Document,
  openapiV3Root,
} from '../../src/api/openapi/index.js';

type Json = { [key: string]: any };

const docPath = (r: { group: string; version: string }) => (r.group ? `apis/${r.group}/${r.version}` : `api/${r.version}`);
const v3 = (path: string): Json => JSON.parse(openapiV3Document(path)!.body.toString('utf8'));
const v2 = (): Json => JSON.parse(openapiV2Json().body.toString('utf8'));

function itemPath(r: (typeof resources)[number]): string {
  const prefix = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  return `${prefix}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.resource}/{name}`;
}

/** Resolves a schema through $ref and allOf, as kubectl explain does. */
function resolve(doc: Json, schema: Json, prefix: string): Json {
  let s = schema;
  for (;;) {
    if (s.$ref) s = doc.components?.schemas?.[s.$ref.slice(prefix.length)] ?? doc.definitions?.[s.$ref.slice(prefix.length)];
    else if (s.allOf) s = s.allOf[0];
    else return s;
    assert.ok(s, 'reference resolves');
  }
}

function collectRefs(node: unknown, out: Set<string>): void {
  if (Array.isArray(node)) node.forEach((n) => collectRefs(n, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.add(v);
      else collectRefs(v, out);
    }
  }
}

describe('OpenAPI v3', () => {
  test('the root names one document per served group version, with its content hash', () => {
    const root = openapiV3Root();
    const expected = [...new Set(resources.map(docPath))].sort();
    assert.deepEqual(Object.keys(root.paths).sort(), expected);
    for (const [path, entry] of Object.entries(root.paths)) {
      const doc = openapiV3Document(path)!;
      assert.equal(entry.serverRelativeURL, `/openapi/v3/${path}?hash=${doc.hash}`);
      assert.match(doc.hash, /^[0-9A-F]{128}$/);
    }
    assert.equal(openapiV3Document('apis/nope/v1'), undefined);
    assert.equal(openapiV3Document('/api/v1/')?.hash, openapiV3Document('api/v1')?.hash);
  });

  test('every resource has a PATCH with its GVK and an inline fieldValidation parameter', () => {
    for (const r of resources) {
      const doc = v3(docPath(r));
      const patch = doc.paths[itemPath(r)]?.patch;
      assert.ok(patch, `PATCH ${itemPath(r)}`);
      assert.deepEqual(patch['x-kubernetes-group-version-kind'], { group: r.group, kind: r.kind, version: r.version });
      assert.ok(patch.parameters.some((p: Json) => p.name === 'fieldValidation' && p.in === 'query'), r.resource);
      assert.ok(patch.requestBody.content['application/strategic-merge-patch+json']);
    }
  });

  test('status and scale subresources, cluster-scoped and all-namespaces paths are present', () => {
    const core = v3('api/v1');
    assert.ok(core.paths['/api/v1/namespaces/{namespace}/pods/{name}/status'].patch);
    assert.ok(core.paths['/api/v1/pods'].get);
    assert.ok(core.paths['/api/v1/nodes/{name}'].get);
    assert.equal(core.paths['/api/v1/nodes/{name}'].get.operationId, 'readCoreV1Node');
    const exec = core.paths['/api/v1/namespaces/{namespace}/pods/{name}/exec'];
    assert.equal(exec.post['x-kubernetes-action'], 'connect');
    assert.equal(exec.get.operationId, 'connectCoreV1GetNamespacedPodExec');
    assert.equal(core.paths['/api/v1/nodes/{name}/proxy/{path}'].get.operationId, 'connectCoreV1GetNodeProxyWithPath');
    assert.equal(core.paths['/api/v1/namespaces/{namespace}/pods'].post.operationId, 'createCoreV1NamespacedPod');
    const apps = v3('apis/apps/v1');
    const scale = apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'].patch;
    assert.deepEqual(scale['x-kubernetes-group-version-kind'], { group: 'autoscaling', kind: 'Scale', version: 'v1' });
    assert.ok(apps.components.schemas['io.k8s.api.autoscaling.v1.Scale']);
  });

  test('every $ref of every document resolves inside it', () => {
    for (const path of Object.keys(openapiV3Root().paths)) {
      const doc = v3(path);
      const refs = new Set<string>();
      collectRefs(doc, refs);
      assert.ok(refs.size > 0);
      for (const ref of refs) {
        assert.ok(ref.startsWith('#/components/schemas/'), ref);
        assert.ok(doc.components.schemas[ref.slice('#/components/schemas/'.length)], `${path}: ${ref}`);
      }
    }
  });

  test('top-level kinds carry an array of GVKs, found by the explain lookup', () => {
    for (const r of resources) {
      const doc = v3(docPath(r));
      const matches = Object.values(doc.components.schemas as Json).filter((s: Json) =>
        (s['x-kubernetes-group-version-kind'] ?? []).some(
          (g: Json) => g.group === r.group && g.version === r.version && g.kind === r.kind,
        ),
      );
      assert.equal(matches.length, 1, `${groupVersion(r)} ${r.kind}`);
    }
  });

  test('an explain-style walk of pod.spec.containers finds descriptions, types and required fields', () => {
    const doc = v3('api/v1');
    const prefix = '#/components/schemas/';
    const pod = doc.components.schemas['io.k8s.api.core.v1.Pod'];
    const spec = resolve(doc, pod.properties.spec, prefix);
    const containers = spec.properties.containers;
    assert.equal(containers.type, 'array');
    assert.match(containers.description, /containers of the pod/);
    assert.deepEqual(containers['x-kubernetes-list-map-keys'], ['name']);
    assert.equal(containers['x-kubernetes-patch-merge-key'], 'name');
    const container = resolve(doc, containers.items, prefix);
    assert.equal(container.description, 'A single application container of a pod.');
    assert.deepEqual(container.required, ['name']);
    assert.deepEqual(container.properties.imagePullPolicy.enum, ['Always', 'IfNotPresent', 'Never']);
    const port = resolve(doc, resolve(doc, container.properties.livenessProbe, prefix).properties.httpGet, prefix).properties.port;
    const intOrString = resolve(doc, port, prefix);
    assert.equal(intOrString.format, 'int-or-string');
    assert.deepEqual(intOrString.oneOf, [{ type: 'integer' }, { type: 'string' }]);
    assert.equal(spec.properties.volumes['x-kubernetes-patch-strategy'], 'merge,retainKeys');
    assert.equal(spec.properties.nodeSelector['x-kubernetes-map-type'], 'atomic');
    assert.equal(doc.components.schemas['io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector']['x-kubernetes-map-type'], 'atomic');
    assert.equal(doc.components.schemas['io.k8s.api.core.v1.PodSpec']['x-kubernetes-map-type'], undefined);
  });
});

describe('OpenAPI v2', () => {
  test('JSON: definitions for every kind with GVK extensions, and every path of every group', () => {
    const doc = v2();
    assert.equal(doc.swagger, '2.0');
    for (const r of resources) {
      const patch = doc.paths[itemPath(r)]?.patch;
      assert.ok(patch, itemPath(r));
      assert.deepEqual(patch['x-kubernetes-group-version-kind'], { group: r.group, kind: r.kind, version: r.version });
    }
    const refs = new Set<string>();
    collectRefs(doc, refs);
    for (const ref of refs) assert.ok(doc.definitions[ref.slice('#/definitions/'.length)], ref);
    const ids = Object.values(doc.paths as Json).flatMap((item: Json) =>
      Object.entries(item).filter(([k]) => k !== 'parameters').map(([, op]) => (op as Json).operationId),
    );
    assert.equal(new Set(ids).size, ids.length, 'operation ids are unique');
    const podSpec = doc.definitions['io.k8s.api.core.v1.PodSpec'];
    assert.equal(podSpec.properties.affinity.$ref, '#/definitions/io.k8s.api.core.v1.Affinity');
    assert.equal(typeof podSpec.properties.affinity.description, 'string');
  });

  test('protobuf: the gnostic encoding round-trips names, refs and vendor extensions', () => {
    const decoded = decodeOpenAPIv2(openapiV2Protobuf()) as Json;
    assert.equal(decoded.swagger, '2.0');
    const defs = new Map<string, Json>(decoded.definitions.additional_properties.map((d: Json) => [d.name, d.value]));
    assert.equal(defs.size, Object.keys(v2().definitions).length);
    const pod = defs.get('io.k8s.api.core.v1.Pod')!;
    const gvk = pod.vendor_extension.find((e: Json) => e.name === 'x-kubernetes-group-version-kind');
    assert.deepEqual(JSON.parse(gvk.value.yaml), [{ group: '', kind: 'Pod', version: 'v1' }]);
    const spec = pod.properties.additional_properties.find((p: Json) => p.name === 'spec').value;
    assert.equal(spec._ref, '#/definitions/io.k8s.api.core.v1.PodSpec');
    const containers = defs.get('io.k8s.api.core.v1.PodSpec')!.properties.additional_properties.find((p: Json) => p.name === 'containers').value;
    assert.deepEqual(containers.type.value, ['array']);
    assert.equal(containers.items.schema[0]._ref, '#/definitions/io.k8s.api.core.v1.Container');
    const merge = containers.vendor_extension.find((e: Json) => e.name === 'x-kubernetes-patch-merge-key');
    assert.equal(JSON.parse(merge.value.yaml), 'name');
    const podPath = decoded.paths.path.find((p: Json) => p.name === '/api/v1/namespaces/{namespace}/pods/{name}').value;
    assert.equal(podPath.patch.operation_id, 'patchCoreV1NamespacedPod');
    const names = podPath.patch.parameters.map((x: Json) => x.parameter.non_body_parameter?.query_parameter_sub_schema?.name ?? x.parameter.body_parameter?.name);
    assert.ok(names.includes('fieldValidation') && names.includes('body'));
    assert.match(openapiV2ProtobufHash(), /^[0-9A-F]{128}$/);
  });
});
