import { str, parseEnv } from './env.js';
import { dnsServerOf, GRPC_DNS_ENV } from './grpc-dns.js';

const SPEC = {
  ...GRPC_DNS_ENV,
  INVENTORY_GRPC_URL: str('inventory', { default: '127.0.0.1:50053' }),
  PAYMENT_GRPC_URL: str('payment', { default: '127.0.0.1:50054' }),
};

describe(dnsServerOf.name, () => {
  it('reads the DNS server a dns: target names in its authority', () => {
    expect(dnsServerOf('dns://127.0.0.1:5353/inventory.test:50053')).toBe(
      '127.0.0.1:5353',
    );
    expect(dnsServerOf('dns://[::1]:53/inventory:50053')).toBe('[::1]:53');
  });

  it('finds none in a target without an authority, a plain address or a list', () => {
    for (const url of [
      'dns:///inventory:50053',
      'dns:inventory:50053',
      'inventory:50053',
      'ipv4:127.0.0.1:5001,127.0.0.1:5002',
    ])
      expect({ url, server: dnsServerOf(url) }).toEqual({
        url,
        server: undefined,
      });
  });
});

describe('GRPC_DNS_ENV', () => {
  it("defaults to grpc-js's own 30 s between resolutions and its system lookup", () => {
    expect(parseEnv(GRPC_DNS_ENV, {})).toEqual({
      GRPC_DNS_MIN_RESOLUTION_MS: 30_000,
      GRPC_NODE_USE_ALTERNATIVE_RESOLVER: 'false',
    });
  });

  it('refuses a downstream URL naming a DNS server unless grpc-js is told to query DNS itself', () => {
    const env = {
      INVENTORY_GRPC_URL: 'dns://127.0.0.1:5353/inventory.test:50053',
    };
    expect(() => parseEnv(SPEC, env)).toThrow(
      /^invalid environment:\n {2}GRPC_NODE_USE_ALTERNATIVE_RESOLVER: must be true when a downstream URL names a DNS server \(INVENTORY_GRPC_URL\): grpc-js otherwise asks the system resolver and ignores the server named \(/,
    );
    expect(
      parseEnv(SPEC, { ...env, GRPC_NODE_USE_ALTERNATIVE_RESOLVER: 'true' }),
    ).toMatchObject({ ...env, GRPC_NODE_USE_ALTERNATIVE_RESOLVER: 'true' });
  });

  it('takes a dns:/// URL with the system lookup', () => {
    expect(
      parseEnv(SPEC, { INVENTORY_GRPC_URL: 'dns:///inventory:50053' }),
    ).toMatchObject({ GRPC_NODE_USE_ALTERNATIVE_RESOLVER: 'false' });
  });

  it("accepts only grpc-js's own spelling of the switch", () => {
    expect(() =>
      parseEnv(GRPC_DNS_ENV, { GRPC_NODE_USE_ALTERNATIVE_RESOLVER: '1' }),
    ).toThrow(/"1" is not one of true, false/);
  });
});
