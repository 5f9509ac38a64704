import { experimental } from '@grpc/grpc-js';
import {
  GRPC_LB_POLICIES,
  loadBalancingServiceConfig,
  namesReplicas,
} from './grpc-load-balancing.js';

describe(loadBalancingServiceConfig.name, () => {
  it.each(GRPC_LB_POLICIES)(
    'gives a %s config that grpc-js parses as that policy',
    (policy) => {
      const { loadBalancingConfig } = JSON.parse(
        loadBalancingServiceConfig(policy, 'inventory'),
      ) as {
        loadBalancingConfig: Parameters<
          typeof experimental.parseLoadBalancingConfig
        >[0][];
      };
      // Throws on a config grpc-js cannot parse (a channel would skip it without a word).
      const parsed = experimental.parseLoadBalancingConfig(
        loadBalancingConfig[0],
      );
      expect(parsed.getLoadBalancerName()).toBe(policy);
    },
  );

  it('names the deadline_p2c channel after the downstream', () => {
    const { loadBalancingConfig } = JSON.parse(
      loadBalancingServiceConfig('deadline_p2c', 'inventory'),
    ) as { loadBalancingConfig: Record<string, { name?: string }>[] };
    expect(loadBalancingConfig[0].deadline_p2c.name).toBe('inventory');
  });
});

describe(namesReplicas.name, () => {
  it('takes a list of addresses and a DNS name as several replicas, one address as one', () => {
    expect(namesReplicas('ipv4:127.0.0.1:5001,127.0.0.1:5002')).toBe(true);
    expect(namesReplicas('dns:///inventory:50053')).toBe(true);
    expect(namesReplicas('dns://127.0.0.1:5353/inventory.test:50053')).toBe(
      true,
    );
    expect(namesReplicas('127.0.0.1:50053')).toBe(false);
  });
});
