// Addresses of a Service range that are fixed by convention: the first is the `kubernetes`
// Service's (10.96.0.1), the tenth the cluster DNS's (10.96.0.10).

export function nthServiceIP(serviceCidr: string, n: number): string {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(serviceCidr);
  const prefix = m ? Number(m[5]) : NaN;
  if (!m || !(prefix >= 1 && prefix <= 30) || 2 ** (32 - prefix) <= n + 1) throw new Error(`invalid service CIDR ${JSON.stringify(serviceCidr)}`);
  const base = m.slice(1, 5).reduce((acc, o) => acc * 256 + Number(o), 0);
  const ip = base - (base % 2 ** (32 - prefix)) + n;
  return [24, 16, 8, 0].map((s) => Math.floor(ip / 2 ** s) % 256).join('.');
}

export const kubernetesServiceIP = (serviceCidr: string): string => nthServiceIP(serviceCidr, 1);
export const clusterDnsIP = (serviceCidr: string): string => nthServiceIP(serviceCidr, 10);
