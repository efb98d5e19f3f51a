// Stand-ins for the images of the seed scenarios (shared/scenarios/README.md) as real OCI images
// for the cri runtime: Debian's busybox-static plus a few files, under the names the manifests use.
// They behave as the process runtime's stand-ins (test/helpers/images.ts) do, with busybox tools only.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBusyboxImage, buildPauseImage, PAUSE_IMAGE, parseImageReference, type NamedImage, type OciImage, type TarEntry } from '../../src/images/index.js';
import { plainHttpRegistry } from '../../src/runtime/cri/containerd-config.js';
import { testCluster, type TestCluster } from './cluster.js';
import { standInLayersDir } from './images.js';
import { startTestRegistry, type TestRegistry } from './registry.js';

const fixture = (path: string) => readFileSync(join(standInLayersDir, path));
const file = (path: string, content: string | Buffer, mode = 0o644): TarEntry => ({ type: 'file', path, mode, content: Buffer.from(content) });
const script = (path: string, text: string): TarEntry => file(path, text, 0o755);

/** PID 1 of the liveness stand-in: /healthz is 200 `ok` for HEALTHY_SECONDS (10), then 500; exits 2 on SIGTERM. */
const livenessServer = `#!/bin/sh
export STARTED=$(cut -d' ' -f1 /proc/uptime)
trap 'exit 2' TERM
nc -ll -p 8080 -e /usr/local/lib/healthz-exchange &
wait
`;

/** One HTTP exchange on stdin/stdout; the request line and headers are logged to stderr. */
const healthzExchange = `#!/bin/sh
cr=$(printf '\\r')
read -r request
request=\${request%$cr}
echo "$request" >&2
while IFS= read -r line; do
  line=\${line%$cr}
  [ -z "$line" ] && break
  echo "  $line" >&2
done
set -- $request
reply() { printf 'HTTP/1.1 %s\\r\\nContent-Type: text/plain\\r\\nContent-Length: %s\\r\\nConnection: close\\r\\n\\r\\n%s' "$1" "\${#2}" "$2"; }
if [ "$2" != /healthz ]; then reply '404 Not Found' ''; exit 0; fi
seconds=$(awk -v s="$STARTED" '{ printf "%.6f", $1 - s }' /proc/uptime)
if awk -v e="$seconds" -v h="\${HEALTHY_SECONDS:-10}" 'BEGIN { exit !(e > h) }'; then
  reply '500 Internal Server Error' "error: $seconds"
else
  reply '200 OK' ok
fi
`;

/**
 * The host's bash with the shared libraries `ldd` names, as `/bin/bash` and `/bin/sh`: a CentOS-like
 * shell for the myos images, whose scripts use `(( ))`, which busybox's ash lacks.
 */
function hostBash(): TarEntry[] {
  const entries: TarEntry[] = [];
  const add = (path: string) => {
    const real = realpathSync(path);
    entries.push({ type: 'file', path: real.slice(1), mode: statSync(real).mode & 0o755, content: readFileSync(real) });
    if (real !== path) entries.push({ type: 'symlink', path: path.slice(1), target: real });
  };
  add('/bin/bash');
  for (const line of execFileSync('ldd', ['/bin/bash'], { encoding: 'utf8' }).split('\n')) {
    const lib = /(\/\S+) \(0x/.exec(line)?.[1];
    if (lib) add(lib);
  }
  const seen = new Map<string, TarEntry>();
  for (const e of entries) seen.set(e.path, e);
  seen.set('bin/bash', { type: 'file', path: 'bin/bash', mode: 0o755, content: readFileSync(realpathSync('/bin/bash')) });
  seen.set('bin/sh', { type: 'symlink', path: 'bin/sh', target: 'bash' });
  return [...seen.values()];
}

const httpd = (port: number, root: string) => ['httpd', '-f', '-p', String(port), '-h', root];

function standIn(name: string): OciImage {
  switch (name) {
    case 'busybox':
    case 'busybox:latest':
    case 'busybox:1.28':
      return buildBusyboxImage({ cmd: ['sh'] });
    case 'myos:latest':
      return buildBusyboxImage({ cmd: ['sh'] }, hostBash());
    case 'debian':
      return buildBusyboxImage({ cmd: ['sh'] });
    case 'mirrorgooglecontainers/liveness':
      return buildBusyboxImage({ exposedPorts: ['8080/tcp'] }, [script('server', livenessServer), script('usr/local/lib/healthz-exchange', healthzExchange)]);
    case 'myos:httpd':
      return buildBusyboxImage({ cmd: httpd(80, '/var/www/html'), exposedPorts: ['80/tcp'] }, [
        ...hostBash(),
        file('var/www/html/info.php', fixture('myos-httpd/var/www/html/info.php')),
      ]);
    case 'nginx':
      return buildBusyboxImage({ cmd: httpd(80, '/usr/share/nginx/html'), exposedPorts: ['80/tcp'], stopSignal: 'SIGQUIT' }, [
        file('usr/share/nginx/html/index.html', fixture('nginx/usr/share/nginx/html/index.html')),
      ]);
    case 'geektime/sample:v2':
      return buildBusyboxImage({ cmd: ['sh'] }, [file('sample.war', fixture('sample/sample.war'))]);
    case 'geektime/tomcat:7.0':
      return buildBusyboxImage({ cmd: ['/root/apache-tomcat-7.0.42-v2/bin/start.sh'], workingDir: '/root/apache-tomcat-7.0.42-v2', exposedPorts: ['8080/tcp'] }, [
        script('root/apache-tomcat-7.0.42-v2/bin/start.sh', '#!/bin/sh\n# Serves the webapps directory on :8080, as Tomcat would its deployed apps.\nexec httpd -f -p 8080 -h /root/apache-tomcat-7.0.42-v2/webapps\n'),
        { type: 'dir', path: 'root/apache-tomcat-7.0.42-v2/webapps' },
      ]);
    case PAUSE_IMAGE:
      return buildPauseImage();
    default:
      throw new Error(`no OCI stand-in for image ${name}`);
  }
}

export const ociStandInNames = [
  'busybox:latest',
  'busybox:1.28',
  'debian',
  'myos:latest',
  'myos:httpd',
  'mirrorgooglecontainers/liveness',
  'nginx',
  'geektime/sample:v2',
  'geektime/tomcat:7.0',
];

const built = new Map<string, OciImage>();

/** The stand-in image of a name (built once per test process). */
export function ociStandIn(name: string): OciImage {
  let image = built.get(name);
  if (!image) built.set(name, (image = standIn(name)));
  return image;
}

export function ociStandIns(names: string[] = ociStandInNames): NamedImage[] {
  return names.map((name) => ({ name, image: ociStandIn(name) }));
}

/** Where a stand-in lives in a registry that mirrors Docker Hub (`nginx` → `library/nginx:latest`). */
export function mirrorPath(name: string): string {
  const ref = parseImageReference(name);
  if (ref.domain !== 'docker.io') throw new Error(`${name} is not a Docker Hub name`);
  return `${ref.path}:${ref.tag ?? 'latest'}`;
}

export interface CriStandInCluster extends TestCluster {
  /** The local registry serving the stand-ins as Docker Hub's mirror. */
  registry: TestRegistry;
  /** Writes a manifest into the test's scratch directory and returns its path. */
  manifest(name: string, text: string): string;
  scratch: string;
}

/**
 * A cluster on the cri runtime whose containerd pulls Docker Hub names from a local registry
 * holding the stand-ins (a hosts.toml mirror for docker.io), so that manifests run unmodified,
 * `imagePullPolicy: Always` and untagged names included.
 */
export async function criStandInCluster(
  t: { after(fn: () => unknown): unknown },
  opts: { names?: string[]; serviceCidr?: string; podCIDR?: string; extraRegistries?: string[] } = {},
): Promise<CriStandInCluster> {
  const registry = await startTestRegistry();
  t.after(() => registry.stop());
  for (const { name, image } of ociStandIns(opts.names)) await registry.pushImage(mirrorPath(name), image);
  const k = await testCluster(t, {
    ...(opts.serviceCidr ? { serviceCidr: opts.serviceCidr } : {}),
    node: { runtime: 'cri', ...(opts.podCIDR ? { podCIDR: opts.podCIDR } : {}), insecureRegistries: [registry.host, ...(opts.extraRegistries ?? [])] },
  });
  // containerd reads hosts.toml at each pull: a mirror for docker.io, written after it started.
  const hostsDir = join(k.dataDir, 'containerd', 'certs.d', 'docker.io');
  mkdirSync(hostsDir, { recursive: true });
  writeFileSync(join(hostsDir, 'hosts.toml'), plainHttpRegistry(registry.host));
  const scratch = mkdtempSync(join(tmpdir(), 'k8ts-cri-scenario-'));
  t.after(() => rmSync(scratch, { recursive: true, force: true }));
  return Object.assign(k, {
    registry,
    scratch,
    manifest(name: string, text: string) {
      const path = join(scratch, name);
      writeFileSync(path, text);
      return path;
    },
  });
}
