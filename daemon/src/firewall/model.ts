/**
 * The firewall's input: plain data built by the controller from the store. The renderer turns
 * one model into one nft document; nothing else is needed to know what the rules should be.
 */
export interface FirewallNetwork {
  id: string;
  name: string;
  bridge: string;
  subnets: string[] /* CIDRs v4/v6 */;
  internal: boolean;
  icc: boolean;
  masquerade: boolean;
  hostBindingIpv4?: string;
}

export interface FirewallPort {
  endpointId: string;
  bridge: string;
  containerIp: string /* no prefix */;
  containerPort: number;
  hostIp?: string /* '' or absent = all */;
  hostPort: number;
  protocol: 'tcp' | 'udp' | 'sctp';
}

export interface FirewallModel {
  networks: FirewallNetwork[];
  ports: FirewallPort[];
}
