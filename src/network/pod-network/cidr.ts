// IPv4 subnet arithmetic for the node's pod CIDR.

export interface Subnet {
  /** The network address as an unsigned 32-bit number. */
  base: number;
  prefixLength: number;
  size: number;
}

export function parseCidr(cidr: string): Subnet {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const prefixLength = m ? Number(m[5]) : NaN;
  if (!m || octets.some((o) => o > 255) || !(prefixLength >= 8 && prefixLength <= 30)) {
    throw new Error(`invalid pod CIDR ${JSON.stringify(cidr)}: want an IPv4 a.b.c.d/n with 8 <= n <= 30`);
  }
  const size = 2 ** (32 - prefixLength);
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  return { base: address - (address % size), prefixLength, size };
}

export function formatIp(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

export function parseIp(ip: string): number {
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

export function subnetCidr(subnet: Subnet): string {
  return `${formatIp(subnet.base)}/${subnet.prefixLength}`;
}

/** The first host address: the pods' gateway, on the bridge. */
export function gatewayOf(subnet: Subnet): string {
  return formatIp(subnet.base + 1);
}
