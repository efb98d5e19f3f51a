// `k8ts images ls` on the cri runtime: the rows made from the CRI ImageService's list.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatImageTable, imageRows } from '../../src/cli/images-cri.js';

test('images ls: a row per tag, digests as <none> tags, an image with no names still listed', () => {
  const rows = imageRows([
    { id: 'sha256:bbbbbbbbbbbbbbbbbbbb', repoTags: ['docker.io/library/busybox:1.28', 'docker.io/library/busybox:latest'], size: '1050000' },
    { id: 'sha256:cccccccccccccccccccc', repoTags: [], repoDigests: ['127.0.0.1:5000/team/app@sha256:0123'], size: 2000 },
    { id: 'sha256:dddddddddddddddddddd', repoTags: [], repoDigests: [], size: 10 },
  ]);
  assert.deepEqual(
    rows.map((r) => [r.repository, r.tag, r.size]),
    [
      ['127.0.0.1:5000/team/app', '<none>', 2000],
      ['<none>', '<none>', 10],
      ['docker.io/library/busybox', '1.28', 1050000],
      ['docker.io/library/busybox', 'latest', 1050000],
    ],
  );
  assert.deepEqual(formatImageTable(rows.slice(0, 1)), ['IMAGE                     TAG      IMAGE ID        SIZE', '127.0.0.1:5000/team/app   <none>   ccccccccccccc   2kB']);
});
