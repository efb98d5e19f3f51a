// The files a containerd of our own needs on this kind of machine: its config (cgroupfs driver,
// restrict_oom_score_adj since root cannot lower OOM scores here, a local sandbox image, every path
// under one directory) and a CNI conflist for the node's pod subnet with the distribution's plugins.

import { createHash } from 'node:crypto';
import { join } from 'node:path';

export interface ContainerdLayout {
  base: string;
  root: string;
  state: string;
  socket: string;
  config: string;
  log: string;
  cniConfDir: string;
  cniIpamDir: string;
  registryConfigDir: string;
  optDir: string;
}

export function containerdLayout(base: string): ContainerdLayout {
  return {
    base,
    root: join(base, 'root'),
    state: join(base, 'state'),
    socket: join(base, 'containerd.sock'),
    config: join(base, 'config.toml'),
    log: join(base, 'containerd.log'),
    cniConfDir: join(base, 'cni', 'net.d'),
    cniIpamDir: join(base, 'cni', 'ipam'),
    registryConfigDir: join(base, 'certs.d'),
    optDir: join(base, 'opt'),
  };
}

/** Host objects named after the cluster: the CNI network, its bridge, the pods' cgroup. */
export function criNames(clusterId: string): { network: string; bridge: string; cgroupRoot: string } {
  const h = createHash('sha256').update(`cri/${clusterId}`).digest('hex').slice(0, 8);
  return { network: `k8ts-cri-${h}`, bridge: `k8c-${h}`, cgroupRoot: `/k8ts-cri-${h}` };
}

const toml = (s: string) => JSON.stringify(s);

export interface ContainerdConfigOptions {
  layout: ContainerdLayout;
  sandboxImage: string;
  streamPort: number;
  cniBinDir: string;
}

export function containerdConfig(o: ContainerdConfigOptions): string {
  const { layout } = o;
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return [
    'version = 2',
    `root = ${toml(layout.root)}`,
    `state = ${toml(layout.state)}`,
    'oom_score = 0',
    'disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]',
    '',
    '[grpc]',
    `  address = ${toml(layout.socket)}`,
    '',
    '[ttrpc]',
    `  address = ${toml(`${layout.socket}.ttrpc`)}`,
    '',
    '[metrics]',
    '  address = ""',
    '',
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = ${toml(layout.optDir)}`,
    '',
    `[${cri}]`,
    `  sandbox_image = ${toml(o.sandboxImage)}`,
    '  restrict_oom_score_adj = true',
    '  stream_server_address = "127.0.0.1"',
    `  stream_server_port = ${toml(String(o.streamPort))}`,
    '  stream_idle_timeout = "4h0m0s"',
    '  enable_tls_streaming = false',
    '  disable_apparmor = true',
    '  enable_selinux = false',
    '',
    `[${cri}.containerd]`,
    '  snapshotter = "overlayfs"',
    '  default_runtime_name = "runc"',
    '',
    `[${cri}.containerd.runtimes.runc]`,
    '  runtime_type = "io.containerd.runc.v2"',
    '',
    `[${cri}.containerd.runtimes.runc.options]`,
    '  SystemdCgroup = false',
    '',
    `[${cri}.cni]`,
    `  bin_dir = ${toml(o.cniBinDir)}`,
    `  conf_dir = ${toml(layout.cniConfDir)}`,
    '  max_conf_num = 1',
    '',
    `[${cri}.registry]`,
    `  config_path = ${toml(layout.registryConfigDir)}`,
    '',
  ].join('\n');
}

export function cniConflist(o: { network: string; bridge: string; podCIDR: string; gateway: string; ipamDir: string }): string {
  return (
    JSON.stringify(
      {
        cniVersion: '1.0.0',
        name: o.network,
        plugins: [
          {
            type: 'bridge',
            bridge: o.bridge,
            isGateway: true,
            ipMasq: true,
            hairpinMode: true,
            ipam: {
              type: 'host-local',
              ranges: [[{ subnet: o.podCIDR, gateway: o.gateway }]],
              routes: [{ dst: '0.0.0.0/0' }],
              dataDir: o.ipamDir,
            },
          },
          { type: 'portmap', capabilities: { portMappings: true }, snat: true },
        ],
      },
      null,
      2,
    ) + '\n'
  );
}

/** hosts.toml for a registry served over plain HTTP (a local registry on 127.0.0.1). */
export function plainHttpRegistry(host: string): string {
  return [`server = ${toml(`http://${host}`)}`, '', `[host.${toml(`http://${host}`)}]`, '  capabilities = ["pull", "resolve"]', '  skip_verify = true', ''].join('\n');
}
